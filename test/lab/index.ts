export { EXAMPLE_LAB_GUESTS, LATE_GUEST } from "./example-guests";
export type { CliOptions, CliResult, Lab, LabGuestSpec, LabOptions } from "./lab";
export { attachLab, createLab, downLab, isStale, sweepStaleLabs } from "./lab";
export type { AgentState, LabState } from "./lab-state";
export { BUNDLES, EXAMPLE_MODEL, labRoot, REPO_ROOT } from "./paths";
export type { StandinImage } from "./standin-images";
export { importStandin, STANDIN_SCRIPT, splitImage, standinImagesOf } from "./standin-images";
export { useLab } from "./use-lab";
