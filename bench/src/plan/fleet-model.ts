import type { ObservedGuest, ObservedState } from "../../../coordinator/src/planner";
import type { GuestFacts } from "../../../coordinator/src/scheduler";

/** Size of a generated fleet. */
export interface FleetSize {
  guests: number;
  stacks: number;
  environments: readonly string[];
}

/** The size the issue asks for: 1,000 guests, 200 stacks, three environments. */
export const FLEET_1000: FleetSize = {
  guests: 1_000,
  stacks: 200,
  environments: ["dev1", "test", "production"],
};

const guestName = (i: number) => `guest-${String(i).padStart(4, "0")}`;
const stackName = (i: number) => `stack_${String(i).padStart(3, "0")}`;
/** One guest in five is an LXC container, one in four has a GPU. */
const isLxc = (i: number) => i % 5 === 4;
const hasGpu = (i: number) => i % 4 === 0;

function guestEntry(i: number, size: FleetSize) {
  const stacks = [stackName(i % size.stacks)];
  if (i % 3 === 0) stacks.push(stackName((i * 7 + 1) % size.stacks));
  return {
    vmid: 1_000 + i,
    name: guestName(i),
    ...(isLxc(i) ? { memory_mb: 4_096, cores: 2 } : { clone_from_vmid: 9_000, cores: 4, memory_mb: 8_192 }),
    // Five candidates for the manager quorum, the rest workers; one in fifty drained.
    swarm_role: i < 5 ? "auto" : "worker",
    node_labels: [`zone=rack${i % 10}`, ...(i % 7 === 0 ? ["vector=true"] : [])],
    docker_stacks: [...new Set(stacks)],
    ...(i % 50 === 49 ? { swarm_availability: "drain" } : {}),
  };
}

function composeFile(s: number): string {
  return [
    `# generated stack ${s}: an app, its worker and a cache`,
    "services:",
    "  app:",
    "    image: phoenix/testimg:latest",
    '    command: ["httpd", "-f", "-p", "8080"]',
    "    environment:",
    `      APP_NAME: app${s}`,
    "    deploy:",
    "      replicas: 2",
    "      endpoint_mode: dnsrr",
    "      resources:",
    "        limits:",
    "          memory: 256M",
    "  worker:",
    "    image: phoenix/testimg:latest",
    '    command: ["sleep", "infinity"]',
    "    deploy:",
    "      placement:",
    "        constraints:",
    "          - node.labels.zone == rack1",
    "  cache:",
    "    image: phoenix/testimg:latest",
    '    command: ["sleep", "infinity"]',
    "    volumes:",
    "      - cache_data:/data",
    "volumes:",
    "  cache_data:",
    "",
  ].join("\n");
}

function manifest(s: number, envs: readonly string[]): string {
  const environments = Object.fromEntries(
    envs.map((env) => [
      env,
      {
        services: {
          app: {
            replicas: env === "production" ? 3 : 1,
            environment: { LOG_LEVEL: env === "production" ? "warn" : "debug" },
            traefik_labels: [
              "traefik.enable=true",
              `traefik.http.routers.app${s}.rule=Host(\`app${s}.${env}.lab\`)`,
              `traefik.http.services.app${s}.loadbalancer.server.port=8080`,
            ],
          },
          worker: { placement_constraints: [`node.labels.zone == rack${s % 10}`] },
        },
      },
    ]),
  );
  return `${JSON.stringify({ description: `generated stack ${s}`, environments }, null, 2)}\n`;
}

/** The files of a model of the given size (paths relative to the model directory). */
export function fleetModelFiles(size: FleetSize): Record<string, string> {
  const guests = Array.from({ length: size.guests }, (_, i) => guestEntry(i, size));
  const files: Record<string, string> = {
    "etc/phoenix_cluster.json": `${JSON.stringify(
      {
        name: "benchfleet",
        swarm: { managers: "auto", adopt: "none" },
        labels: { hardware: true, gpu: true },
        environments: size.environments,
        // A fleet this size fills Swarm's default /24 per environment network: a /20 each.
        environment_networks: Object.fromEntries(
          size.environments.map((env, i) => [env, { subnet: `10.64.${i * 16}.0/20` }]),
        ),
      },
      null,
      2,
    )}\n`,
    "etc/phoenix_vm_configs.json": `${JSON.stringify({ vms: guests.filter((_, i) => !isLxc(i)) }, null, 2)}\n`,
    "etc/phoenix_lxc_configs.json": `${JSON.stringify(
      { lxc_configs: guests.filter((_, i) => isLxc(i)) },
      null,
      2,
    )}\n`,
  };
  for (let s = 0; s < size.stacks; s++) {
    files[`stacks/${stackName(s)}/docker-compose.yml`] = composeFile(s);
    files[`stacks/${stackName(s)}/phoenix.json`] = manifest(s, size.environments);
  }
  return files;
}

function factsOf(i: number): GuestFacts {
  const name = guestName(i);
  const base: GuestFacts = {
    hostname: name,
    vmid: 1_000 + i,
    kind: isLxc(i) ? "lxc" : "vm",
    cpuArch: "x86_64",
    cores: isLxc(i) ? 2 : 4,
    memoryBytes: (isLxc(i) ? 4 : 8) * 2 ** 30,
    gpuState: "none",
    gpus: [],
  };
  if (!hasGpu(i)) return base;
  return {
    ...base,
    gpuState: "ok",
    gpus: [
      {
        product: "NVIDIA GeForce RTX 4090",
        memoryMiB: 24_564,
        architecture: "Ada Lovelace",
        computeCapability: "8.9",
        migCapable: false,
      },
    ],
    driverVersion: "550.54.15",
    cudaVersion: "12.4",
  };
}

/** Every guest's agent online with its hardware, no swarm yet: the state before the first sync. */
export function freshFleet(size: FleetSize): ObservedState {
  const guests: ObservedGuest[] = Array.from({ length: size.guests }, (_, i) => ({
    name: guestName(i),
    hostname: guestName(i),
    vmid: 1_000 + i,
    online: true,
    facts: factsOf(i),
    swarm: { state: "inactive" },
  }));
  return { swarm: { initialized: false, nodes: [] }, guests, networks: [], stacks: [] };
}

/**
 * Drift a converged fleet typically shows: one node in ten lost its labels or got a foreign one,
 * one stack deployment in ten runs older specs, a few agents are offline.
 */
export function withDrift(converged: ObservedState): ObservedState {
  const s = structuredClone(converged);
  s.swarm.nodes.forEach((n, i) => {
    if (i % 10 === 3) n.labels = {};
    if (i % 10 === 7) n.labels = { ...n.labels, "phoenix.gpu.present": "true", team: "ml" };
  });
  s.stacks.forEach((d, i) => {
    if (i % 10 === 5) d.specHash = "older";
  });
  s.guests.forEach((g, i) => {
    if (i % 100 === 42) g.online = false;
  });
  return s;
}
