import type { NodeAvailability } from "@phoenix/model";
import type { GuestFacts } from "../scheduler/guest-facts";

/** Swarm role of a node as Docker reports it. */
export type NodeRole = "manager" | "worker";

/** Local swarm state of an engine (`docker info` Swarm.LocalNodeState). */
export type SwarmLocalState = "inactive" | "pending" | "active" | "error" | "locked";

/** A swarm node as a manager reports it. */
export interface ObservedNode {
  id: string;
  hostname: string;
  role: NodeRole;
  availability: NodeAvailability;
  /** "ready", "down", "unknown" or "disconnected". */
  state: string;
  labels: Readonly<Record<string, string>>;
  /** Raft leader (managers only). */
  leader?: boolean;
  /** Manager reachability; undefined for workers or when unknown. */
  reachable?: boolean;
}

/** One agent as the registry sees it, already matched to its guest. */
export interface ObservedGuest {
  /** The guest it was matched to: a model guest's name or an adopted guest's name. */
  name: string;
  vmid?: number;
  hostname: string;
  /** Agent connected and heartbeating. */
  online: boolean;
  /** Latest hardware facts; absent until the first inventory arrives. */
  facts?: GuestFacts;
  /** What the guest's own engine says about its swarm membership. */
  swarm: { state: SwarmLocalState; nodeId?: string; clusterId?: string };
}

/** A stack deployment Phoenix made and recorded (stack + environment + the hash it deployed). */
export interface DeployedStack {
  stack: string;
  env: string;
  specHash?: string;
  /**
   * Who asked for it: `model` (a guest's docker_stacks; removed once nothing wants it) or
   * `deploy` (`phoenix swarm deploy`; never removed by a plan, only by `phoenix swarm rm`).
   */
  source: "model" | "deploy";
  /**
   * What the swarm runs differently from this deployment's specs (see FleetActions.checkStacks),
   * one line each; absent when it was not compared.
   */
  differences?: string[];
}

/** Everything the planner compares the desired state with. */
export interface ObservedState {
  swarm: {
    /** True when the swarm could be read from a manager; false when there is none (yet). */
    initialized: boolean;
    clusterId?: string;
    nodes: ObservedNode[];
  };
  guests: ObservedGuest[];
  /** Environment networks that exist (by name, e.g. "phoenix_env_dev1"). */
  networks: string[];
  /** Stacks Phoenix deployed; stacks it did not deploy are not listed and never touched. */
  stacks: DeployedStack[];
}
