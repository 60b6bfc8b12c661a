import type { LabGuestSpec } from "./lab";

/**
 * The guests of the example model the lab brings up: the manager, a worker and the GPU worker, each
 * named after its model guest (the hostname the coordinator matches) with its vmid from the model.
 * vllmqwen's simulated GPU prints a real capture of a datacenter card (Tesla T4).
 */
export const EXAMPLE_LAB_GUESTS: readonly LabGuestSpec[] = [
  { name: "portainer" },
  { name: "drphoenix" },
  { name: "vllmqwen", gpu: "tesla-t4-passthrough-515.xml" },
];

/** The fourth model guest, booted later in the end-to-end run, with an A100 capture (MIG enabled). */
export const LATE_GUEST: LabGuestSpec = { name: "dockerlxc", gpu: "a100-sxm4-80gb-mig-535.xml" };
