import { type Model, type NodeAvailability, parseModel } from "@phoenix/model";
import type { ObservedGuest, ObservedNode, ObservedState, SwarmLocalState } from "../planner/observed-state";
import type { GuestFacts } from "./guest-facts";

/** A guest of a test model. */
export interface GuestSpec {
  vmid: number;
  name: string;
  kind?: "vm" | "lxc";
  role?: "manager" | "worker" | "auto" | "none";
  labels?: string[];
  stacks?: string[];
  availability?: NodeAvailability;
}

/** Options of a test model; stacks get a one-service compose file each. */
export interface ModelSpec {
  guests: GuestSpec[];
  managers?: number | "auto";
  adopt?: "none" | "worker" | "auto";
  labels?: { hardware?: boolean; gpu?: boolean };
  environments?: string[];
  stacks?: Record<string, string[]>;
}

/** A real Model built through parseModel from generated files (throws on an invalid spec). */
export function buildModel(spec: ModelSpec): Model {
  const entry = (g: GuestSpec) => ({
    vmid: g.vmid,
    name: g.name,
    swarm_role: g.role ?? "worker",
    node_labels: g.labels ?? [],
    docker_stacks: g.stacks ?? [],
    ...(g.availability ? { swarm_availability: g.availability } : {}),
    cores: 4,
  });
  const files: Record<string, string> = {
    "etc/phoenix_cluster.json": JSON.stringify({
      name: "lab",
      swarm: { managers: spec.managers ?? "auto", adopt: spec.adopt ?? "worker" },
      labels: { hardware: spec.labels?.hardware ?? true, gpu: spec.labels?.gpu ?? true },
      environments: spec.environments ?? ["dev1", "production"],
    }),
    "etc/phoenix_vm_configs.json": JSON.stringify({
      vms: spec.guests.filter((g) => g.kind !== "lxc").map(entry),
    }),
    "etc/phoenix_lxc_configs.json": JSON.stringify({
      lxc_configs: spec.guests.filter((g) => g.kind === "lxc").map(entry),
    }),
  };
  for (const [name, envs] of Object.entries(spec.stacks ?? {})) {
    files[`stacks/${name}/docker-compose.yml`] = `services:\n  app:\n    image: phoenix/testimg:latest\n`;
    files[`stacks/${name}/phoenix.json`] = JSON.stringify({
      environments: Object.fromEntries(envs.map((e) => [e, { services: { app: { replicas: 1 } } }])),
    });
  }
  const result = parseModel(files);
  if (!result.ok) throw new Error(result.errors.map((e) => e.describe()).join("\n"));
  return result.model;
}

/** Facts of a CPU-only guest: 4 cores, 16 GiB, x86_64. */
export function cpuFacts(hostname: string, over: Partial<GuestFacts> = {}): GuestFacts {
  return {
    hostname,
    cpuArch: "x64",
    cores: 4,
    memoryBytes: 16 * 2 ** 30,
    gpuState: "none",
    gpus: [],
    ...over,
  };
}

/** Facts of a guest with one RTX 4090 (values as nvidia-smi reports them on such a card). */
export function gpuFacts(hostname: string, over: Partial<GuestFacts> = {}): GuestFacts {
  return {
    hostname,
    cpuArch: "x86_64",
    cores: 8,
    memoryBytes: 40 * 2 ** 30,
    gpuState: "ok",
    gpus: [
      {
        product: "NVIDIA GeForce RTX 4090",
        memoryMiB: 24564,
        architecture: "Ada Lovelace",
        computeCapability: "8.9",
        migCapable: false,
      },
    ],
    driverVersion: "550.54.15",
    cudaVersion: "12.4",
    ...over,
  };
}

/** An online agent matched to `name`, outside any swarm unless told. */
export function agentOf(
  name: string,
  opts: {
    online?: boolean;
    state?: SwarmLocalState;
    nodeId?: string;
    clusterId?: string;
    facts?: GuestFacts;
    vmid?: number;
  } = {},
): ObservedGuest {
  return {
    name,
    hostname: name,
    online: opts.online ?? true,
    ...(opts.vmid !== undefined ? { vmid: opts.vmid } : {}),
    facts: opts.facts ?? cpuFacts(name),
    swarm: {
      state: opts.state ?? (opts.nodeId ? "active" : "inactive"),
      ...(opts.nodeId ? { nodeId: opts.nodeId } : {}),
      ...(opts.clusterId ? { clusterId: opts.clusterId } : {}),
    },
  };
}

/** A ready, active worker node unless told otherwise. */
export function nodeOf(id: string, hostname: string, over: Partial<ObservedNode> = {}): ObservedNode {
  return { id, hostname, role: "worker", availability: "active", state: "ready", labels: {}, ...over };
}

/** An observed state; the swarm counts as initialised when it has nodes. */
export function observedOf(over: Partial<ObservedState> & { nodes?: ObservedNode[] } = {}): ObservedState {
  const nodes = over.nodes ?? over.swarm?.nodes ?? [];
  return {
    swarm: over.swarm ?? {
      initialized: nodes.length > 0,
      ...(nodes.length > 0 ? { clusterId: "c1" } : {}),
      nodes,
    },
    guests: over.guests ?? [],
    networks: over.networks ?? [],
    stacks: over.stacks ?? [],
  };
}

/** Every label a guest with the GPU of {@link gpuFacts} loses when the GPU is gone, sorted. */
export const GPU_LABELS_OF_GPU_FACTS = [
  "gpu",
  "phoenix.cuda.driver-version.full",
  "phoenix.cuda.runtime-version.full",
  "phoenix.gpu.compute.major",
  "phoenix.gpu.compute.minor",
  "phoenix.gpu.count",
  "phoenix.gpu.family",
  "phoenix.gpu.memory",
  "phoenix.gpu.present",
  "phoenix.gpu.product",
  "phoenix.mig.capable",
];
