export { buildProgram, main } from "./main";
export { formatAge, formatTable } from "./output";
export type { Connection } from "./settings";
export { DEFAULT_COORDINATOR, parseDuration, resolveConnection } from "./settings";
