/** IPC between the benchmark and its coordinator host / load generators. */

/** Counts of the coordinator's registry. */
export interface RegistryStats {
  known: number;
  connected: number;
  online: number;
  pending: number;
}

/** Benchmark → coordinator host. */
export type HostRequest = { type: "stats" } | { type: "ping"; timeoutMs: number } | { type: "stop" };

/** Coordinator host → benchmark. */
export type HostReply =
  | { type: "ready"; address: string }
  | ({ type: "stats" } & RegistryStats)
  | {
      type: "pinged";
      /** Per agent: ms from the start of the fan-out until its result arrived. */
      rtts: number[];
      /** Until the last result. */
      wallMs: number;
      /** CPU time the coordinator process spent meanwhile. */
      cpuMs: number;
      failures: number;
      firstFailure?: string;
    }
  | { type: "error"; error: string };

/** Benchmark → load generator. */
export type LoadRequest =
  | {
      type: "init";
      coordinator: string;
      enrollmentToken: string;
      /** Inventory of a real guest as protobuf JSON; each simulated agent gets its own host identity. */
      inventory: unknown;
      /** Agent ids are `<prefix><index>`. */
      prefix: string;
    }
  | { type: "connect"; indexes: number[]; wave: number; timeoutMs: number }
  | { type: "stop" };

/** Load generator → benchmark. */
export type LoadReply =
  | { type: "ready" }
  | { type: "connected"; sessions: number; connected: number; ms: number }
  | { type: "stopped" }
  | { type: "error"; error: string };
