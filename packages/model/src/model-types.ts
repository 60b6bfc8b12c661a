import type { Label } from "./docker-names";

/** How a guest takes part in the swarm: fixed, chosen by the scheduler (`auto`), or not at all. */
export type SwarmRole = "manager" | "worker" | "auto" | "none";

/** Swarm node availability. */
export type NodeAvailability = "active" | "pause" | "drain";

/** What happens to a guest whose agent registers but which the model does not list. */
export type AdoptPolicy = "none" | "worker" | "auto";

/** Proxmox guest type. */
export type GuestKind = "vm" | "lxc";

/** Where something was declared: a file of the model and a JSON path in it. */
export interface SourceRef {
  file: string;
  path: string;
}

/** etc/phoenix_cluster.json, with defaults applied. */
export interface ClusterConfig {
  name: string;
  swarm: {
    /** Wanted number of managers, or `auto` (1 below 3 eligible guests, 3 up to 6, 5 from 7). */
    managers: number | "auto";
    adopt: AdoptPolicy;
  };
  labels: {
    /** Hardware labels under `phoenix.` (cpu, memory, gpu, guest kind and vmid). */
    hardware: boolean;
    /** `gpu=true` on guests that have a GPU. */
    gpu: boolean;
  };
  environments: string[];
  /** Subnets set for environments' overlay networks, by environment; the others get Swarm's default. */
  environmentSubnets: Record<string, string>;
  nats: { subjectPrefix: string };
}

/** One VM or LXC of the fleet. `config` is the entry exactly as written, unknown keys included. */
export interface Guest {
  kind: GuestKind;
  vmid: number;
  name: string;
  swarmRole: SwarmRole;
  /** Set only when the model pins it; otherwise Phoenix leaves availability to the operator. */
  swarmAvailability?: NodeAvailability;
  nodeLabels: Label[];
  dockerStacks: string[];
  config: Readonly<Record<string, unknown>>;
  source: SourceRef;
}

/** Per-environment settings of one service of a stack (phoenix.json). */
export interface StackServiceSettings {
  traefikLabels: Label[];
  placementConstraints: string[];
  replicas?: number;
  environment: Record<string, string>;
}

/** One environment of a stack (phoenix.json `environments.<env>`). */
export interface StackEnvironment {
  /** Values for `${VAR}` interpolation in the compose file. */
  variables: Record<string, string>;
  services: Record<string, StackServiceSettings>;
}

/** A stack directory: stacks/<name>/docker-compose.yml + phoenix.json (+ any files they use). */
export interface Stack {
  name: string;
  /** Directory relative to the model root, e.g. `stacks/qdrant_service`. */
  dir: string;
  description?: string;
  environments: Record<string, StackEnvironment>;
  compose: {
    file: string;
    text: string;
    /** Parsed YAML document (not yet interpolated or converted). */
    document: Record<string, unknown>;
    services: string[];
  };
  /** Text of every file in the stack directory, keyed by path relative to the model root. */
  files: Record<string, string>;
}

/** A validated declarative model. */
export interface Model {
  cluster: ClusterConfig;
  /** VMs then LXCs, in file order. */
  guests: Guest[];
  stacks: Record<string, Stack>;
}
