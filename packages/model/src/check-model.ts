import { projectNameProblem, swarmNameProblem } from "./docker-names";
import type { ModelProblems } from "./model-problems";
import type { ClusterConfig, Guest, Stack } from "./model-types";
import { environmentNetworkName, stackNamespace } from "./naming";
import { guestPath, roleIsKnown } from "./parse-guests";
import { parsePlacementConstraint } from "./placement-constraint";
import { parseSubnet, type Subnet, subnetsOverlap } from "./subnet";

/** The model file names, relative to the model root. */
export const MODEL_FILES = {
  cluster: "etc/phoenix_cluster.json",
  vms: "etc/phoenix_vm_configs.json",
  lxcs: "etc/phoenix_lxc_configs.json",
} as const;

/** Duplicate vmids and names across VMs and LXCs (names compare case-insensitively, like hostnames). */
function checkUniqueGuests(guests: readonly Guest[], problems: ModelProblems): void {
  const byVmid = new Map<number, Guest>();
  const byName = new Map<string, Guest>();
  for (const g of guests) {
    const first = byVmid.get(g.vmid);
    if (first)
      problems.add(
        g.source.file,
        [...guestPath(g), ...(g.config.vmid === undefined ? [] : ["vmid"])],
        `vmid ${g.vmid} is already used by ${first.name || "another guest"} (${first.source.file} at ${first.source.path})`,
      );
    else byVmid.set(g.vmid, g);
    if (!g.name) continue;
    const key = g.name.toLowerCase();
    const firstName = byName.get(key);
    if (firstName)
      problems.add(
        g.source.file,
        [...guestPath(g), "name"],
        `name ${JSON.stringify(g.name)} is already used by vmid ${firstName.vmid} (${firstName.source.file} at ${firstName.source.path})`,
      );
    else byName.set(key, g);
  }
}

/** docker_stacks must name existing stacks that have an environment, on guests in the swarm. */
function checkStackAssignments(
  guests: readonly Guest[],
  stacks: ReadonlyMap<string, Stack>,
  problems: ModelProblems,
): void {
  for (const g of guests) {
    g.dockerStacks.forEach((name, i) => {
      const at = [...guestPath(g), "docker_stacks", i];
      const stack = stacks.get(name);
      if (!stack) {
        problems.add(
          g.source.file,
          at,
          `stack ${JSON.stringify(name)} does not exist (no stacks/${name}/ directory; ${stacks.size ? `stacks: ${[...stacks.keys()].sort().join(", ")}` : "there are no stacks"})`,
        );
        return;
      }
      if (g.swarmRole === "none" && roleIsKnown(g))
        problems.add(
          g.source.file,
          at,
          `stack ${JSON.stringify(name)} is pinned to a guest whose swarm_role is none`,
        );
      if (Object.keys(stack.environments).length === 0)
        problems.add(
          g.source.file,
          at,
          `stack ${JSON.stringify(name)} has no environment in stacks/${name}/phoenix.json, so it would deploy nowhere`,
        );
    });
  }
}

function asRecord(v: unknown): Record<string, unknown> | undefined {
  return typeof v === "object" && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

/** phoenix.json against the cluster and the compose file; compose names and constraints against Swarm. */
function checkStack(stack: Stack, cluster: ClusterConfig | undefined, problems: ModelProblems): void {
  const manifest = `${stack.dir}/phoenix.json`;
  const composeServices = new Set(stack.compose.services);
  for (const [env, settings] of Object.entries(stack.environments)) {
    if (cluster && !cluster.environments.includes(env))
      problems.add(
        manifest,
        ["environments", env],
        `environment ${JSON.stringify(env)} is not in etc/phoenix_cluster.json (environments: ${cluster.environments.join(", ")})`,
      );
    if (stack.compose.services.length === 0) continue; // the compose file itself is already reported
    for (const [svc, s] of Object.entries(settings.services)) {
      if (!composeServices.has(svc)) {
        problems.add(
          manifest,
          ["environments", env, "services", svc],
          `service ${JSON.stringify(svc)} is not in ${stack.compose.file} (services: ${stack.compose.services.join(", ")})`,
        );
        continue;
      }
      const deploy = asRecord(asRecord(asRecord(stack.compose.document.services)?.[svc])?.deploy);
      if (s.replicas !== undefined && deploy?.mode === "global")
        problems.add(
          manifest,
          ["environments", env, "services", svc, "replicas"],
          `service ${JSON.stringify(svc)} is global in ${stack.compose.file}; replicas do not apply`,
        );
    }
  }

  const services = asRecord(stack.compose.document.services) ?? {};
  const nameIsValid = projectNameProblem(stack.name) === undefined; // else already reported
  for (const svc of stack.compose.services) {
    for (const env of nameIsValid ? (cluster?.environments ?? []) : []) {
      const full = `${stackNamespace(env, stack.name)}_${svc}`;
      const problem = swarmNameProblem(full);
      if (problem) {
        problems.addFile(
          stack.compose.file,
          `service name ${JSON.stringify(full)} ${problem}`,
          undefined,
          `services.${svc}`,
        );
        break;
      }
    }
    const constraints = asRecord(asRecord(asRecord(services[svc])?.deploy)?.placement)?.constraints;
    if (Array.isArray(constraints))
      constraints.forEach((c, i) => {
        if (typeof c !== "string") return;
        const parsed = parsePlacementConstraint(c);
        if (!parsed.ok)
          problems.addFile(
            stack.compose.file,
            `placement constraint ${parsed.problem}`,
            undefined,
            `services.${svc}.deploy.placement.constraints[${i}]`,
          );
      });
  }
}

/** The manager count must be one Swarm can hold: odd, not 0 with guests, no more than can be managers. */
function checkManagers(cluster: ClusterConfig, guests: readonly Guest[], problems: ModelProblems): void {
  const inSwarm = guests.filter((g) => g.swarmRole !== "none");
  const managers = inSwarm.filter((g) => g.swarmRole === "manager");
  const autos = inSwarm.filter((g) => g.swarmRole === "auto");
  const eligible = managers.length + autos.length;
  const names = (gs: Guest[]) => gs.map((g) => g.name).join(", ");
  const file = MODEL_FILES.cluster;
  const policy = cluster.swarm.managers;

  if (policy === "auto") {
    if (inSwarm.length > 0 && eligible === 0 && cluster.swarm.adopt !== "auto") {
      problems.add(
        file,
        ["swarm"],
        `${inSwarm.length} guests are in the swarm but none can be a manager: give one swarm_role manager or auto`,
      );
      return;
    }
    if (autos.length === 0 && managers.length > 0 && managers.length % 2 === 0) {
      const last = managers[managers.length - 1]!;
      problems.add(
        last.source.file,
        [...guestPath(last), "swarm_role"],
        `${managers.length} guests have swarm_role manager (${names(managers)}): Swarm needs an odd number of managers; make one a worker or add a guest with swarm_role auto`,
      );
    }
    return;
  }

  const at = ["swarm", "managers"];
  if (policy === 0) {
    if (inSwarm.length > 0)
      problems.add(
        file,
        at,
        `0 managers, but ${inSwarm.length} guests are in the swarm; a swarm needs at least 1`,
      );
    return;
  }
  if (policy % 2 === 0)
    problems.add(
      file,
      at,
      `${policy} managers: Swarm needs an odd number (${policy - 1} or ${policy + 1}) to keep a majority`,
    );
  if (policy > eligible)
    problems.add(
      file,
      at,
      `${policy} managers wanted, but only ${eligible} guests can be managers (swarm_role manager or auto)${eligible ? `: ${names([...managers, ...autos])}` : ""}`,
    );
  if (managers.length > policy)
    problems.add(
      file,
      at,
      `${managers.length} guests have swarm_role manager (${names(managers)}), more than the ${policy} wanted`,
    );
}

/** Environment networks must be valid Swarm names. */
function checkEnvironments(cluster: ClusterConfig, problems: ModelProblems): void {
  cluster.environments.forEach((env, i) => {
    const network = environmentNetworkName(env);
    const problem = swarmNameProblem(network);
    if (problem)
      problems.add(
        MODEL_FILES.cluster,
        ["environments", i],
        `environment network ${JSON.stringify(network)} ${problem}`,
      );
  });
  // Subnets of environment networks: for listed environments, each with addresses of its own.
  const seen: { env: string; text: string; subnet: Subnet }[] = [];
  for (const [env, text] of Object.entries(cluster.environmentSubnets)) {
    if (!cluster.environments.includes(env)) {
      problems.add(
        MODEL_FILES.cluster,
        ["environment_networks", env],
        `environment ${JSON.stringify(env)} is not in environments (${cluster.environments.join(", ")})`,
      );
      continue;
    }
    const subnet = parseSubnet(text);
    if ("problem" in subnet) continue; // the schema said why
    const other = seen.find((s) => subnetsOverlap(s.subnet, subnet));
    if (other)
      problems.add(
        MODEL_FILES.cluster,
        ["environment_networks", env, "subnet"],
        `${text} overlaps ${other.text} of environment ${other.env}: each environment network needs addresses of its own`,
      );
    seen.push({ env, text, subnet });
  }
}

/** Every check that spans files: identities, stack references, stacks against compose and Swarm, managers. */
export function checkModel(
  cluster: ClusterConfig | undefined,
  guests: readonly Guest[],
  stacks: readonly Stack[],
  problems: ModelProblems,
  opts: { guestsComplete: boolean },
): void {
  checkUniqueGuests(guests, problems);
  checkStackAssignments(guests, new Map(stacks.map((s) => [s.name, s])), problems);
  for (const stack of stacks) checkStack(stack, cluster, problems);
  if (cluster) {
    checkEnvironments(cluster, problems);
    // counting managers over a partly unreadable guest list would only add false alarms
    if (opts.guestsComplete && guests.every(roleIsKnown)) checkManagers(cluster, guests, problems);
  }
}
