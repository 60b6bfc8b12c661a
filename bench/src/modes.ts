/** Everything that differs between the full run and the short one CI runs. */
export interface Mode {
  name: "full" | "quick";
  plan: { runs: number };
  fanout: {
    counts: number[];
    floorCounts: number[];
    rounds: number;
    warmups: number;
    idleMs: number;
    processes: number;
  };
  footprint: { windowMs: number; settleMs: number };
  label: { runs: number; freshGuest: boolean };
  deploy: { runs: number; sameNetworks: boolean; environmentInUse: boolean; warmup: boolean };
}

/** `npm run bench`: every figure the issue asks for (about 8-10 minutes on 2 cores). */
export const FULL: Mode = {
  name: "full",
  plan: { runs: 9 },
  fanout: {
    counts: [100, 1_000, 10_000],
    floorCounts: [100, 1_000],
    rounds: 10,
    warmups: 3,
    idleMs: 60_000,
    processes: 2,
  },
  footprint: { windowMs: 60_000, settleMs: 30_000 },
  label: { runs: 5, freshGuest: true },
  deploy: { runs: 3, sameNetworks: true, environmentInUse: true, warmup: true },
};

/**
 * `npm run bench -- --quick` (CI): fewer runs, shorter windows, fan-out up to 1,000 agents (about 4
 * minutes). Deploys still run 3 times each: the median keeps one slow deploy (a node that takes long
 * over one overlay network) from deciding the ratio CI judges.
 */
export const QUICK: Mode = {
  name: "quick",
  plan: { runs: 3 },
  fanout: {
    counts: [100, 1_000],
    floorCounts: [1_000],
    rounds: 5,
    warmups: 2,
    idleMs: 10_000,
    processes: 2,
  },
  footprint: { windowMs: 10_000, settleMs: 20_000 },
  label: { runs: 2, freshGuest: false },
  deploy: { runs: 3, sameNetworks: false, environmentInUse: false, warmup: false },
};
