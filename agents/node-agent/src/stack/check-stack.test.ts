import { describe, expect, it } from "vitest";
import { compareStacks, indexSwarm, type StackState, stackDifferences } from "./check-stack";
import { specFingerprint } from "./drift";
import type { EngineNetwork, EngineObject, EngineService } from "./engine";
import { NAMESPACE_LABEL, SPEC_HASH_LABEL } from "./labels";
import { objectHash } from "./object-versions";
import { networkRefs, resolveServiceSpec } from "./resolve-service";
import type { ObjectSpec, ServiceSpec, StackSpecs } from "./stack-specs";

const ns = "dev1_app";
const own = { [NAMESPACE_LABEL]: ns };
const secret: ObjectSpec = { Name: "dev1_app_key", Labels: own, Data: "c2VjcmV0" };
const web: ServiceSpec = {
  Name: "dev1_app_web",
  Labels: own,
  TaskTemplate: {
    ContainerSpec: { Image: "nginx:1.27", Secrets: [{ SecretName: "dev1_app_key", File: { Name: "key" } }] },
    Networks: [{ Target: "dev1_app_default", Aliases: ["web"] }, { Target: "phoenix_env_dev1" }],
  },
  Mode: { Replicated: { Replicas: 2 } },
};
const db: ServiceSpec = {
  Name: "dev1_app_db",
  Labels: own,
  TaskTemplate: {
    ContainerSpec: { Image: "postgres:16" },
    Networks: [{ Target: "dev1_app_default", Aliases: ["db"] }],
  },
};
const specs: StackSpecs = {
  networks: [{ Name: "dev1_app_default", Labels: own, Driver: "overlay" }],
  secrets: [secret],
  configs: [],
  services: [web, db],
};

const network = (Name: string, Id: string, Labels: Record<string, string> = {}): EngineNetwork => ({
  Id,
  Name,
  Scope: "swarm",
  Labels,
});
const networks = [
  network("dev1_app_default", "net1", own),
  network("phoenix_env_dev1", "net2", { "phoenix.environment": "dev1" }),
];
const secrets: EngineObject[] = [
  { ID: "sec1", Spec: { Name: "dev1_app_key", Labels: { ...own, [SPEC_HASH_LABEL]: objectHash(secret) } } },
];

/** A service as Docker stores it after Phoenix applied `spec` against these networks and secrets. */
function stored(spec: ServiceSpec, id: string, edit?: (s: EngineService["Spec"]) => void): EngineService {
  const refs = {
    networks: networkRefs(networks),
    secrets: new Map([["dev1_app_key", { name: "dev1_app_key", id: "sec1" }]]),
    configs: new Map(),
  };
  const Spec = resolveServiceSpec(spec, refs, ns) as EngineService["Spec"];
  edit?.(Spec);
  return { ID: id, Version: { Index: 1 }, CreatedAt: "", UpdatedAt: "", Spec };
}

const converged: StackState = {
  services: [stored(web, "s1"), stored(db, "s2")],
  networks,
  secrets,
  configs: [],
};

describe("stackDifferences", () => {
  const cases: [string, Partial<StackState>, boolean, string[]][] = [
    ["nothing when the swarm runs the specs", {}, true, []],
    ["a service removed by hand", { services: [stored(web, "s1")] }, true, ["service dev1_app_db: missing"]],
    [
      "every service when the stack was removed by hand",
      { services: [], networks: networks.slice(1), secrets: [] },
      true,
      [
        "network dev1_app_default: missing",
        "secret dev1_app_key: missing",
        "service dev1_app_web: missing",
        "service dev1_app_db: missing",
      ],
    ],
    [
      "replicas and image changed outside Phoenix",
      {
        services: [
          stored(web, "s1", (s) => {
            s.Mode = { Replicated: { Replicas: 5 } };
            (s.TaskTemplate.ContainerSpec as { Image: string }).Image = "nginx:latest";
          }),
          stored(db, "s2"),
        ],
      },
      true,
      ["service dev1_app_web: image, replicas changed outside Phoenix"],
    ],
    [
      "a spec stored with another hash (another rendering, a recreated network)",
      {
        services: [
          stored(web, "s1", (s) => {
            s.Labels = { ...s.Labels, [SPEC_HASH_LABEL]: "0ld" };
          }),
          stored(db, "s2"),
        ],
      },
      true,
      ["service dev1_app_web: differs from its specs"],
    ],
    [
      "a service whose specs changed: the fields, never their values",
      {
        services: [
          stored(
            {
              ...web,
              TaskTemplate: {
                ...web.TaskTemplate,
                ContainerSpec: { Image: "nginx:1.26", Env: ["DB_PASSWORD=hunter2"] },
              },
            },
            "s1",
          ),
          stored(db, "s2"),
        ],
      },
      true,
      [
        "service dev1_app_web: differs from its specs in TaskTemplate.ContainerSpec.Env, TaskTemplate.ContainerSpec.Secrets",
      ],
    ],
    [
      "a secret whose content is another",
      {
        secrets: [
          { ID: "sec0", Spec: { Name: "dev1_app_key", Labels: { ...own, [SPEC_HASH_LABEL]: "0ld" } } },
        ],
      },
      true,
      ["secret dev1_app_key: content differs"],
    ],
    [
      "what the namespace holds and no longer declares, when pruning",
      {
        services: [...converged.services, stored({ ...db, Name: "dev1_app_old" }, "s3")],
        networks: [...networks, network("dev1_app_back", "net3", own)],
      },
      true,
      ["service dev1_app_old: no longer declared", "network dev1_app_back: no longer declared"],
    ],
    [
      "nothing undeclared without pruning",
      { services: [...converged.services, stored({ ...db, Name: "dev1_app_old" }, "s3")] },
      false,
      [],
    ],
  ];
  it.each(cases)("%s", (_name, change, prune, want) => {
    expect(stackDifferences(specs, ns, indexSwarm({ ...converged, ...change }), prune)).toEqual(want);
  });

  // What the last apply reported: the services as it left them.
  const applied = Object.fromEntries(converged.services.map((s) => [s.Spec.Name, specFingerprint(s.Spec)]));
  const envAdded = stored(web, "s1", (s) => {
    (s.TaskTemplate.ContainerSpec as { Env?: string[] }).Env = ["DEBUG=1"];
  });
  const fingerprintCases: [string, EngineService, Record<string, string>, string[]][] = [
    ["nothing when the services have the fingerprints of the last apply", stored(web, "s1"), applied, []],
    [
      "a service changed by hand with its labels kept (docker service update --env-add): the field",
      envAdded,
      applied,
      ["service dev1_app_web: changed outside Phoenix in TaskTemplate.ContainerSpec.Env"],
    ],
    [
      "only a forced restart (docker service update --force): nothing",
      stored(web, "s1", (s) => {
        (s.TaskTemplate as { ForceUpdate?: number }).ForceUpdate = 4;
      }),
      applied,
      [],
    ],
    ["nothing to compare with when the last apply reported no fingerprints", envAdded, {}, []],
  ];
  it.each(fingerprintCases)("%s", (_name, svc, fingerprints, want) => {
    const swarm = indexSwarm({ ...converged, services: [svc, stored(db, "s2")] });
    expect(stackDifferences(specs, ns, swarm, true, fingerprints)).toEqual(want);
  });
});

describe("compareStacks", () => {
  const fingerprints = Object.fromEntries(
    converged.services.map((s) => [s.Spec.Name, specFingerprint(s.Spec)]),
  );
  const ask = (given: Record<string, string> | undefined, swarm: StackState) =>
    compareStacks(
      [
        {
          namespace: ns,
          specsJson: JSON.stringify(specs),
          prune: true,
          ...(given ? { fingerprints: given } : {}),
        },
      ],
      swarm,
    ).stacks?.[0];

  it.each<[string, Record<string, string> | undefined, StackState, Record<string, string>]>([
    [
      "a stack checked without fingerprints that the swarm runs gets its services' fingerprints",
      undefined,
      converged,
      fingerprints,
    ],
    ["none when the command gave some", fingerprints, converged, {}],
    ["none when the swarm does not run the specs", {}, { ...converged, services: [stored(web, "s1")] }, {}],
  ])("%s", (_name, given, swarm, want) => {
    expect(ask(given, swarm)?.fingerprints).toEqual(want);
  });

  it("notes an environment network whose subnet is not the one asked for, as no difference", () => {
    const envNetwork = {
      Name: "phoenix_env_dev1",
      Labels: { "phoenix.environment": "dev1" },
      IPAM: { Driver: "default", Config: [{ Subnet: "10.250.0.0/20" }] },
    };
    const withEnv = JSON.stringify({ ...specs, networks: [...specs.networks, envNetwork] });
    const swarm = (subnet: string): StackState => ({
      ...converged,
      networks: networks.map((n) =>
        n.Name === "phoenix_env_dev1" ? { ...n, IPAM: { Config: [{ Subnet: subnet }] } } : n,
      ),
    });
    const answer = (subnet: string) =>
      compareStacks([{ namespace: ns, specsJson: withEnv, prune: true }], swarm(subnet)).stacks?.[0];
    expect(answer("10.0.2.0/24")).toMatchObject({
      differences: [],
      notes: [
        "network phoenix_env_dev1: has subnet 10.0.2.0/24, not 10.250.0.0/20; Docker cannot change a network in place: remove every stack that uses it, then the network (docker network rm phoenix_env_dev1), and the next deploy creates it with the new subnet",
      ],
    });
    expect(answer("10.250.0.0/20")?.notes).toEqual([]);
  });
});

describe("compareStacks: the capacity of an environment network", () => {
  const envNetwork = { Name: "phoenix_env_dev1", Labels: { "phoenix.environment": "dev1" } };
  const nodes = ["n1", "n2"].map((ID) => ({ ID, Spec: { Role: "worker" }, Status: { State: "ready" } }));
  /** The example stack with `replicas` web tasks, also on the environment network. */
  const stackOf = (namespace: string, replicas: number) => {
    const label = { [NAMESPACE_LABEL]: namespace };
    const svc: ServiceSpec = {
      Name: `${namespace}_web`,
      Labels: label,
      TaskTemplate: { ContainerSpec: { Image: "nginx:1.27" }, Networks: [{ Target: "phoenix_env_dev1" }] },
      Mode: { Replicated: { Replicas: replicas } },
      EndpointSpec: { Mode: "dnsrr" },
    };
    return JSON.stringify({ networks: [envNetwork], secrets: [], configs: [], services: [svc] });
  };
  // A /27: 29 addresses.
  const small = networks.map((n) =>
    n.Name === "phoenix_env_dev1" ? { ...n, IPAM: { Config: [{ Subnet: "10.9.0.0/27" }] } } : n,
  );
  /** What the swarm runs: `other` web tasks in dev1_other, on the environment network (by id). */
  const running = (other: number): StackState => ({
    ...converged,
    networks: small,
    services: [
      {
        ID: "o1",
        Version: { Index: 1 },
        CreatedAt: "",
        UpdatedAt: "",
        Spec: {
          Name: "dev1_other_web",
          Labels: { [NAMESPACE_LABEL]: "dev1_other" },
          TaskTemplate: { Networks: [{ Target: "net2" }] },
          Mode: { Replicated: { Replicas: other } },
          EndpointSpec: { Mode: "dnsrr" },
        },
      },
    ],
  });
  const over =
    'network phoenix_env_dev1: needs 32 addresses (30 tasks, 2 node load balancers) and its subnet 10.9.0.0/27 has 29: the tasks past that stay in state "new" and never start; give it a larger subnet in etc/phoenix_cluster.json environment_networks.dev1.subnet (the network must then be recreated)';

  it("counts the stacks checked, in place of what their namespaces run, with every other service on the network", () => {
    const answer = compareStacks(
      [
        { namespace: "dev1_a", specsJson: stackOf("dev1_a", 10), prune: true },
        { namespace: "dev1_b", specsJson: stackOf("dev1_b", 10), prune: true, notesOnly: true },
      ],
      { ...running(10), nodes },
    );
    // the same line for each stack on the network: the coordinator says it once
    expect(answer.stacks?.map((s) => s.notes)).toEqual([[over], [over]]);
    // a stack only counted is not compared
    expect(answer.stacks?.[1]).toEqual({ namespace: "dev1_b", notes: [over] });
    expect(answer.stacks?.[0]?.differences).toEqual(["service dev1_a_web: missing"]);
  });

  it.each<[string, number, string[], string[]]>([
    ["fits under 80 %", 5, [], []],
    ["the plan removes the namespace that fills it", 10, ["dev1_other"], []],
    [
      "nearly full",
      12,
      [],
      [
        "network phoenix_env_dev1: will use 24 of the 29 addresses of its subnet 10.9.0.0/27 (22 tasks, 2 node load balancers): 5 more fit; a larger subnet goes in etc/phoenix_cluster.json environment_networks.dev1.subnet",
      ],
    ],
  ])("%s", (_name, other, removing, notes) => {
    const answer = compareStacks(
      [{ namespace: "dev1_a", specsJson: stackOf("dev1_a", 10), prune: true, notesOnly: true }],
      { ...running(other), nodes },
      removing,
    );
    expect(answer.stacks?.[0]?.notes).toEqual(notes);
  });

  it("counts a stack's own network too: a global service on 300 nodes fills Swarm's /24", () => {
    const label = { [NAMESPACE_LABEL]: "dev1_mon" };
    const agent: ServiceSpec = {
      Name: "dev1_mon_agent",
      Labels: label,
      TaskTemplate: { ContainerSpec: { Image: "agent:1" }, Networks: [{ Target: "dev1_mon_default" }] },
      Mode: { Global: {} },
      EndpointSpec: { Mode: "dnsrr" },
    };
    const specsJson = JSON.stringify({
      networks: [{ Name: "dev1_mon_default", Labels: label, Driver: "overlay" }],
      secrets: [],
      configs: [],
      services: [agent],
    });
    const many = Array.from({ length: 300 }, (_, i) => ({ ID: `n${i}`, Status: { State: "ready" } }));
    const answer = compareStacks([{ namespace: "dev1_mon", specsJson, prune: true, notesOnly: true }], {
      ...converged,
      nodes: many,
      subnetSize: 24,
    });
    expect(answer.stacks?.[0]?.notes).toEqual([
      'network dev1_mon_default: needs 600 addresses (300 tasks, 300 node load balancers) and the /24 Swarm gives it has 253: the tasks past that stay in state "new" and never start; give it a larger subnet in the stack\'s compose file (networks.default.ipam.config: - subnet: ...)',
    ]);
  });

  it("says nothing without the swarm's nodes", () => {
    const answer = compareStacks(
      [{ namespace: "dev1_a", specsJson: stackOf("dev1_a", 40), prune: true }],
      running(10),
    );
    expect(answer.stacks?.[0]?.notes).toEqual([]);
  });
});
