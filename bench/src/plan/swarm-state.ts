import type { StackState } from "../../../agents/node-agent/src/stack/check-stack";
import type { EngineNetwork, EngineObject, EngineService } from "../../../agents/node-agent/src/stack/engine";
import { SPEC_HASH_LABEL } from "../../../agents/node-agent/src/stack/labels";
import { objectHash } from "../../../agents/node-agent/src/stack/object-versions";
import {
  networkRefs,
  objectsByName,
  resolveServiceSpec,
} from "../../../agents/node-agent/src/stack/resolve-service";
import type { StackSpecs } from "../../../agents/node-agent/src/stack/stack-specs";

/**
 * The swarm a manager would list after Phoenix applied every one of these stacks (by namespace):
 * their networks (a shared one once), secrets, configs, and services as the apply stores them
 * (ids resolved, hash labels set). What a stack check of a converged fleet reads, without a
 * Docker engine.
 */
export function swarmRunning(stacks: ReadonlyMap<string, StackSpecs>): StackState {
  const networks = new Map<string, EngineNetwork>();
  const secrets: EngineObject[] = [];
  const configs: EngineObject[] = [];
  for (const specs of stacks.values()) {
    for (const n of specs.networks)
      if (!networks.has(n.Name))
        networks.set(n.Name, {
          Id: `net${networks.size}`,
          Name: n.Name,
          Scope: "swarm",
          Labels: n.Labels ?? {},
          ...(n.IPAM ? { IPAM: n.IPAM as EngineNetwork["IPAM"] } : {}),
        });
    for (const [list, declared] of [
      [secrets, specs.secrets],
      [configs, specs.configs],
    ] as const) {
      for (const o of declared)
        list.push({
          ID: `obj${secrets.length + configs.length}`,
          Spec: { Name: o.Name, Labels: { ...o.Labels, [SPEC_HASH_LABEL]: objectHash(o) } },
        });
    }
  }
  const refs = {
    networks: networkRefs([...networks.values()]),
    secrets: objectsByName(secrets),
    configs: objectsByName(configs),
  };
  const services: EngineService[] = [];
  for (const [ns, specs] of stacks) {
    specs.services.forEach((spec, i) => {
      services.push({
        ID: `${ns}-${i}`,
        Version: { Index: 1 },
        CreatedAt: "",
        UpdatedAt: "",
        Spec: resolveServiceSpec(spec, refs, ns) as EngineService["Spec"],
      });
    });
  }
  return { services, networks: [...networks.values()], secrets, configs };
}
