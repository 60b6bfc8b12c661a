export type { Figure, Reference, Unit, Verdict } from "./figures";
export { CI_FACTOR, failed, figure } from "./figures";
export { main, SECTIONS } from "./main";
export type { Mode } from "./modes";
export { FULL, QUICK } from "./modes";
export { renderTable } from "./table";
