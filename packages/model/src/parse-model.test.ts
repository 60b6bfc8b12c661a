import { describe, expect, it } from "vitest";
import { parseModel } from "./parse-model";

// biome-ignore lint/suspicious/noExplicitAny: fixtures are deep JSON that each case mutates freely
type Json = Record<string, any>;
interface Base {
  cluster: Json;
  vms: Json | unknown[];
  lxcs: Json;
  stacks: Record<string, { manifest?: Json | string; compose?: string }>;
  raw: Record<string, string | undefined>;
}

const COMPOSE =
  "services:\n  web:\n    image: $IMAGE\n  agent:\n    image: a\n    deploy:\n      mode: global\n";

function base(): Base {
  return {
    cluster: {
      name: "lab",
      swarm: { managers: "auto", adopt: "worker" },
      environments: ["dev1", "production"],
    },
    vms: {
      vms: [
        {
          vmid: 1001,
          name: "mgr",
          swarm_role: "manager",
          node_labels: ["zone=rack1"],
          docker_stacks: ["web"],
          cores: 4,
        },
        { vmid: 1002, name: "gpu-1", swarm_role: "worker" },
      ],
    },
    lxcs: { lxc_configs: { "950": { name: "ct1", swarm_role: "worker", memory_mb: 2048 } } },
    stacks: {
      web: {
        manifest: {
          description: "web",
          environments: {
            dev1: {
              services: {
                web: {
                  replicas: 2,
                  placement_constraints: ["node.labels.zone == rack1"],
                  environment: { A: "1" },
                },
              },
            },
            production: { variables: { IMAGE: "nginx:1" }, services: {} },
          },
        },
        compose: COMPOSE,
      },
    },
    raw: {},
  };
}

function render(b: Base): Record<string, string> {
  const files: Record<string, string> = {
    "etc/phoenix_cluster.json": JSON.stringify(b.cluster, null, 2),
    "etc/phoenix_vm_configs.json": JSON.stringify(b.vms, null, 2),
    "etc/phoenix_lxc_configs.json": JSON.stringify(b.lxcs, null, 2),
  };
  for (const [name, s] of Object.entries(b.stacks)) {
    if (s.manifest !== undefined)
      files[`stacks/${name}/phoenix.json`] =
        typeof s.manifest === "string" ? s.manifest : JSON.stringify(s.manifest, null, 2);
    if (s.compose !== undefined) files[`stacks/${name}/docker-compose.yml`] = s.compose;
  }
  for (const [path, text] of Object.entries(b.raw)) {
    if (text === undefined) delete files[path];
    else files[path] = text;
  }
  return files;
}

/** Problems as `file at path: message`, without the line/column suffix. */
function problemsOf(mutate: (b: Base) => void): string[] {
  const b = base();
  mutate(b);
  const result = parseModel(render(b));
  return result.ok ? [] : result.errors.map((e) => e.describe().replace(/ \(line \d+, column \d+\)$/, ""));
}

const vm = (b: Base, i: number) => (b.vms as Json).vms[i] as Json;
const web = (b: Base) => b.stacks.web!.manifest as Json;

describe("parseModel", () => {
  it("accepts the base model", () => {
    expect(problemsOf(() => {})).toEqual([]);
  });

  it.each<[string, (b: Base) => void, string[]]>([
    [
      "bad JSON",
      (b) => (b.raw["etc/phoenix_vm_configs.json"] = '{"vms": [}'),
      ["etc/phoenix_vm_configs.json: invalid JSON: unexpected '}'"],
    ],
    [
      "missing cluster file",
      (b) => (b.raw["etc/phoenix_cluster.json"] = undefined),
      ["etc/phoenix_cluster.json: missing: a model needs its cluster file"],
    ],
    [
      "VM file of the wrong shape",
      (b) => (b.vms = "vms" as never),
      ['etc/phoenix_vm_configs.json at $: expected an object with "vms" or an array of guests'],
    ],
    [
      "vms not a list",
      (b) => (b.vms = { vms: {} }),
      ["etc/phoenix_vm_configs.json at $.vms: expected an array"],
    ],
    [
      "vmid of the wrong type",
      (b) => (vm(b, 1).vmid = "1002"),
      ["etc/phoenix_vm_configs.json at $.vms[1].vmid: expected number, got string"],
    ],
    [
      "vmid out of range",
      (b) => (vm(b, 1).vmid = 42),
      ["etc/phoenix_vm_configs.json at $.vms[1].vmid: Too small: expected number to be >=100"],
    ],
    [
      "missing name",
      (b) => delete vm(b, 1).name,
      ["etc/phoenix_vm_configs.json at $.vms[1].name: is required (string)"],
    ],
    [
      "name that is not a hostname",
      (b) => (vm(b, 1).name = "gpu_1"),
      [
        "etc/phoenix_vm_configs.json at $.vms[1].name: guest name must be a DNS name: letters, digits and '-', dot-separated parts of 1-63 characters",
      ],
    ],
    [
      "unknown swarm role",
      (b) => (vm(b, 1).swarm_role = "leader"),
      [
        'etc/phoenix_vm_configs.json at $.vms[1].swarm_role: expected one of "manager", "worker", "auto", "none"',
      ],
    ],
    [
      "misspelt swarm role on a guest with stacks and in a manager count: one error, none taken for none",
      (b) => {
        Object.assign(vm(b, 1), { swarm_role: "wroker", docker_stacks: ["web"] });
        b.cluster.swarm = { managers: 3, adopt: "worker" };
      },
      [
        'etc/phoenix_vm_configs.json at $.vms[1].swarm_role: expected one of "manager", "worker", "auto", "none"',
      ],
    ],
    [
      "duplicate vmid across VMs and LXCs",
      (b) => (b.lxcs.lxc_configs["1002"] = { name: "ct2" }),
      [
        'etc/phoenix_lxc_configs.json at $.lxc_configs["1002"]: vmid 1002 is already used by gpu-1 (etc/phoenix_vm_configs.json at $.vms[1])',
      ],
    ],
    [
      "duplicate name, case-insensitive",
      (b) => (b.lxcs.lxc_configs["950"].name = "GPU-1"),
      [
        'etc/phoenix_lxc_configs.json at $.lxc_configs["950"].name: name "GPU-1" is already used by vmid 1002 (etc/phoenix_vm_configs.json at $.vms[1])',
      ],
    ],
    [
      "LXC key that is not a CTID, and a vmid that contradicts its key",
      (b) => {
        b.lxcs.lxc_configs.ct3 = { name: "ct3" };
        b.lxcs.lxc_configs["950"].vmid = 951;
      },
      [
        'etc/phoenix_lxc_configs.json at $.lxc_configs["950"].vmid: vmid must equal the CTID key 950',
        'etc/phoenix_lxc_configs.json at $.lxc_configs.ct3: key "ct3" is not a CTID (100 to 999999999)',
      ],
    ],
    [
      "stack that does not exist",
      (b) => (vm(b, 1).docker_stacks = ["web", "qdrant"]),
      [
        'etc/phoenix_vm_configs.json at $.vms[1].docker_stacks[1]: stack "qdrant" does not exist (no stacks/qdrant/ directory; stacks: web)',
      ],
    ],
    [
      "stack pinned to a guest outside the swarm",
      (b) => Object.assign(vm(b, 1), { swarm_role: "none", docker_stacks: ["web"] }),
      [
        'etc/phoenix_vm_configs.json at $.vms[1].docker_stacks[0]: stack "web" is pinned to a guest whose swarm_role is none',
      ],
    ],
    [
      "pinned stack without environments",
      (b) => (web(b).environments = {}),
      [
        'etc/phoenix_vm_configs.json at $.vms[0].docker_stacks[0]: stack "web" has no environment in stacks/web/phoenix.json, so it would deploy nowhere',
      ],
    ],
    [
      "labels that are not key=value, or not the model's to set",
      (b) =>
        (vm(b, 0).node_labels = ["gpu", "zone=rack1", "com.docker.x=1", "phoenix.gpu.present=true", "a b=c"]),
      [
        'etc/phoenix_vm_configs.json at $.vms[0].node_labels[0]: "gpu" is not key=value',
        'etc/phoenix_vm_configs.json at $.vms[0].node_labels[2]: label key "com.docker.x" uses the prefix com.docker. reserved by Docker',
        'etc/phoenix_vm_configs.json at $.vms[0].node_labels[3]: label key "phoenix.gpu.present": the phoenix. prefix is reserved for Phoenix\'s own labels',
        `etc/phoenix_vm_configs.json at $.vms[0].node_labels[4]: label key "a b" may only contain letters, digits, '.', '-' and '_'`,
      ],
    ],
    [
      "placement constraints Swarm would refuse, in phoenix.json and in the compose file",
      (b) => {
        web(b).environments.dev1.services.web.placement_constraints = [
          "node.labels.zone = rack1",
          "node.role == boss",
        ];
        b.stacks.web!.compose =
          `${COMPOSE}      placement:\n        constraints: ["node.labels.gpu == true", "node.gpu == true"]\n`;
      },
      [
        'stacks/web/phoenix.json at $.environments.dev1.services.web.placement_constraints[0]: placement constraint "node.labels.zone = rack1" needs one operator, == or !=',
        'stacks/web/phoenix.json at $.environments.dev1.services.web.placement_constraints[1]: placement constraint "node.role == boss": node.role is manager or worker',
        'stacks/web/docker-compose.yml at services.agent.deploy.placement.constraints[1]: placement constraint "node.gpu == true": unknown key "node.gpu"; Swarm knows node.id, node.hostname, node.ip, node.role, node.platform.os, node.platform.arch, node.labels.<key> and engine.labels.<key>',
      ],
    ],
    [
      "environment names that are not Docker names, and one listed twice",
      (b) => (b.cluster.environments = ["dev1", "Prod", "production", "dev1"]),
      [
        "etc/phoenix_cluster.json at $.environments[1]: environment name must be lowercase letters, digits, '-' and '_', starting and ending with a letter or digit",
        'etc/phoenix_cluster.json at $.environments[3]: environment "dev1" is listed twice',
      ],
    ],
    [
      "an environment whose network name would be too long",
      (b) => b.cluster.environments.push("e".repeat(60)),
      [
        `stacks/web/docker-compose.yml at services.web: service name "${"e".repeat(60)}_web_web" is 68 characters long; Swarm allows at most 63`,
        `stacks/web/docker-compose.yml at services.agent: service name "${"e".repeat(60)}_web_agent" is 70 characters long; Swarm allows at most 63`,
        `etc/phoenix_cluster.json at $.environments[2]: environment network "phoenix_env_${"e".repeat(60)}" is 72 characters long; Swarm allows at most 63`,
      ],
    ],
    [
      "stack environment the cluster does not have",
      (b) => (web(b).environments.staging = { services: {} }),
      [
        'stacks/web/phoenix.json at $.environments.staging: environment "staging" is not in etc/phoenix_cluster.json (environments: dev1, production)',
      ],
    ],
    [
      "phoenix.json service missing from the compose file",
      (b) => (web(b).environments.production.services.db = { replicas: 1 }),
      [
        'stacks/web/phoenix.json at $.environments.production.services.db: service "db" is not in stacks/web/docker-compose.yml (services: web, agent)',
      ],
    ],
    [
      "replicas for a global service",
      (b) => (web(b).environments.production.services.agent = { replicas: 3 }),
      [
        'stacks/web/phoenix.json at $.environments.production.services.agent.replicas: service "agent" is global in stacks/web/docker-compose.yml; replicas do not apply',
      ],
    ],
    [
      "typo in a phoenix.json key, and a label that is not traefik's",
      (b) =>
        (web(b).environments.dev1.services.web = {
          replica: 2,
          traefik_labels: ["traefik.enable=true", "enable=true", "traefik.x"],
        }),
      [
        'stacks/web/phoenix.json at $.environments.dev1.services.web.traefik_labels[1]: "enable" is not a traefik.* label key',
        "stacks/web/phoenix.json at $.environments.dev1.services.web.traefik_labels[2]: traefik label is not key=value",
        'stacks/web/phoenix.json at $.environments.dev1.services.web.replica: unknown key "replica"',
      ],
    ],
    [
      "environment entries without a key (never echoed)",
      (b) => (web(b).environments.dev1.services.web.environment = ["A=1", "hunter2"]),
      [
        "stacks/web/phoenix.json at $.environments.dev1.services.web.environment[1]: environment entry is not KEY=VALUE",
      ],
    ],
    [
      "environment and variable names Docker or interpolation would not take",
      (b) => {
        web(b).environments.dev1.services.web.environment = { "MY VAR": "1", "spring.profile": "ok" };
        web(b).environments.production.variables = { "IMAGE.TAG": "1" };
      },
      [
        'stacks/web/phoenix.json at $.environments.dev1.services.web.environment["MY VAR"]: environment variable name "MY VAR" is invalid',
        'stacks/web/phoenix.json at $.environments.production.variables["IMAGE.TAG"]: variable name "IMAGE.TAG" is invalid',
      ],
    ],
    [
      "environment map with a value that is not a scalar",
      (b) => (web(b).environments.dev1.services.web.environment = { A: { nested: true } }),
      [
        "stacks/web/phoenix.json at $.environments.dev1.services.web.environment.A: expected a string, number or boolean",
      ],
    ],
    [
      "compose file that is not YAML",
      (b) => (b.stacks.web!.compose = "services:\n  web: image: x\n"),
      ["stacks/web/docker-compose.yml: invalid YAML: Nested mappings are not allowed in compact mappings"],
    ],
    [
      "compose file without services",
      (b) => (b.stacks.web!.compose = "version: '3.8'\nnetworks: {}\n"),
      ["stacks/web/docker-compose.yml at services: needs a services map with at least one service"],
    ],
    [
      "compose service that is not a mapping",
      (b) => (b.stacks.web!.compose = "services:\n  web: nginx\n"),
      ["stacks/web/docker-compose.yml at services.web: a service must be a mapping"],
    ],
    [
      "stack directory without its files, or with a bad name",
      (b) => {
        b.stacks.web!.compose = undefined;
        b.stacks["Bad.Stack"] = { compose: "services:\n  x:\n    image: y\n" };
      },
      [
        "stacks/Bad.Stack: stack name \"Bad.Stack\" must be lowercase letters, digits, '-' and '_', starting and ending with a letter or digit",
        "stacks/Bad.Stack: missing phoenix.json",
        "stacks/web: missing docker-compose.yml",
      ],
    ],
    [
      "even manager count",
      (b) => (b.cluster.swarm.managers = 2),
      [
        "etc/phoenix_cluster.json at $.swarm.managers: 2 managers: Swarm needs an odd number (1 or 3) to keep a majority",
        "etc/phoenix_cluster.json at $.swarm.managers: 2 managers wanted, but only 1 guests can be managers (swarm_role manager or auto): mgr",
      ],
    ],
    [
      "no manager while guests are in the swarm",
      (b) => (b.cluster.swarm.managers = 0),
      [
        "etc/phoenix_cluster.json at $.swarm.managers: 0 managers, but 3 guests are in the swarm; a swarm needs at least 1",
      ],
    ],
    [
      "more managers than guests that can be one",
      (b) => (b.cluster.swarm.managers = 3),
      [
        "etc/phoenix_cluster.json at $.swarm.managers: 3 managers wanted, but only 1 guests can be managers (swarm_role manager or auto): mgr",
      ],
    ],
    [
      "more fixed managers than the count",
      (b) => {
        b.cluster.swarm.managers = 1;
        vm(b, 1).swarm_role = "manager";
      },
      [
        "etc/phoenix_cluster.json at $.swarm.managers: 2 guests have swarm_role manager (mgr, gpu-1), more than the 1 wanted",
      ],
    ],
    [
      "an even number of fixed managers and no auto guest",
      (b) => (vm(b, 1).swarm_role = "manager"),
      [
        "etc/phoenix_vm_configs.json at $.vms[1].swarm_role: 2 guests have swarm_role manager (mgr, gpu-1): Swarm needs an odd number of managers; make one a worker or add a guest with swarm_role auto",
      ],
    ],
    [
      "nobody can be a manager",
      (b) => {
        vm(b, 0).swarm_role = "worker";
        b.cluster.swarm.adopt = "none";
      },
      [
        "etc/phoenix_cluster.json at $.swarm: 3 guests are in the swarm but none can be a manager: give one swarm_role manager or auto",
      ],
    ],
    [
      "cluster keys: typo, bad name, bad prefix, bad policy",
      (b) => {
        b.cluster.name = "My Lab";
        b.cluster.nats = { subject_prefix: "phoenix.*" };
        b.cluster.swarm.managers = "some";
        b.cluster.swarm.adopt = "all";
        b.cluster.lables = {};
      },
      [
        "etc/phoenix_cluster.json at $.name: cluster name must be lowercase letters, digits, '-' and '_', starting and ending with a letter or digit",
        'etc/phoenix_cluster.json at $.swarm.managers: expected "auto" or a whole number',
        'etc/phoenix_cluster.json at $.swarm.adopt: expected one of "none", "worker", "auto"',
        `etc/phoenix_cluster.json at $.nats.subject_prefix: subject prefix token "*" must be letters, digits, '-' and '_' (one NATS subject token)`,
        'etc/phoenix_cluster.json at $.lables: unknown key "lables"',
      ],
    ],
    [
      "environment network subnets that are not one, for no environment, or shared",
      (b) => {
        b.cluster.environment_networks = {
          dev1: { subnet: "10.42.0.0/20" },
          production: { subnet: "10.42.8.0/24" },
          staging: { subnet: "10.43.0.0/24" },
        };
      },
      [
        "etc/phoenix_cluster.json at $.environment_networks.production.subnet: 10.42.8.0/24 overlaps 10.42.0.0/20 of environment dev1: each environment network needs addresses of its own",
        'etc/phoenix_cluster.json at $.environment_networks.staging: environment "staging" is not in environments (dev1, production)',
      ],
    ],
    [
      "an environment network subnet with host bits set",
      (b) => {
        b.cluster.environment_networks = { dev1: { subnet: "10.42.0.1/20" } };
      },
      [
        "etc/phoenix_cluster.json at $.environment_networks.dev1.subnet: 10.42.0.1/20 is not a network address: did you mean 10.42.0.0/20?",
      ],
    ],
    [
      "a key written twice",
      (b) =>
        (b.raw["etc/phoenix_lxc_configs.json"] = '{"lxc_configs": {"950": {"name": "ct1", "name": "ct2"}}}'),
      [
        'etc/phoenix_lxc_configs.json at $.lxc_configs["950"].name: key appears twice in the same object (only the last one counts)',
      ],
    ],
  ])("refuses %s", (_, mutate, expected) => {
    expect(problemsOf(mutate)).toEqual(expected);
  });

  it("reports every problem of every file in one go, with line and column", () => {
    const result = parseModel({
      "etc/phoenix_cluster.json":
        '{\n  "name": "lab",\n  "environments": ["dev1"],\n  "swarm": {"managers": 2}\n}',
      "etc/phoenix_vm_configs.json":
        '{"vms": [\n  {"vmid": 1001, "name": "a", "swarm_role": "manager",\n   "node_labels": ["gpu"], "docker_stacks": ["nope"]}\n]}',
      "etc/phoenix_lxc_configs.json": '{"lxc_configs": {"1001": {"name": "b"}}}',
      "stacks/web/phoenix.json": '{"environments": {"dev1": {"services": {"api": {}}}}}',
      "stacks/web/docker-compose.yml": "services:\n  web:\n    image: nginx\n",
    });
    expect(result.ok ? [] : result.errors.map((e) => e.describe())).toEqual([
      'etc/phoenix_vm_configs.json at $.vms[0].node_labels[0]: "gpu" is not key=value (line 3, column 20)',
      'etc/phoenix_lxc_configs.json at $.lxc_configs["1001"]: vmid 1001 is already used by a (etc/phoenix_vm_configs.json at $.vms[0]) (line 1, column 26)',
      'etc/phoenix_vm_configs.json at $.vms[0].docker_stacks[0]: stack "nope" does not exist (no stacks/nope/ directory; stacks: web) (line 3, column 46)',
      'stacks/web/phoenix.json at $.environments.dev1.services.api: service "api" is not in stacks/web/docker-compose.yml (services: web) (line 1, column 48)',
      "etc/phoenix_cluster.json at $.swarm.managers: 2 managers: Swarm needs an odd number (1 or 3) to keep a majority (line 4, column 25)",
      "etc/phoenix_cluster.json at $.swarm.managers: 2 managers wanted, but only 1 guests can be managers (swarm_role manager or auto): a (line 4, column 25)",
    ]);
    expect(result.ok || result.errors.every((e) => e.code === "INVALID_MODEL")).toBe(true);
  });

  it("keeps unknown Proxmox keys untouched and normalises what Phoenix reads", () => {
    const result = parseModel(render(base()));
    if (!result.ok) throw new Error(result.errors[0]!.describe());
    const { model } = result;
    const mgr = model.guests[0]!;
    expect(mgr).toMatchObject({
      kind: "vm",
      vmid: 1001,
      name: "mgr",
      swarmRole: "manager",
      dockerStacks: ["web"],
    });
    expect(mgr.nodeLabels).toEqual([{ key: "zone", value: "rack1" }]);
    expect(mgr.config).toEqual(base().vms && (base().vms as Json).vms[0]);
    expect(mgr.source).toEqual({ file: "etc/phoenix_vm_configs.json", path: "$.vms[0]" });
    const ct = model.guests[2]!;
    expect(ct).toMatchObject({ kind: "lxc", vmid: 950, name: "ct1", swarmRole: "worker", nodeLabels: [] });
    expect(ct.config.memory_mb).toBe(2048);
    expect(model.cluster).toEqual({
      name: "lab",
      swarm: { managers: "auto", adopt: "worker" },
      labels: { hardware: true, gpu: true },
      environments: ["dev1", "production"],
      environmentSubnets: {},
      nats: { subjectPrefix: "phoenix" },
    });
    expect(model.stacks.web!.environments.dev1!.services.web).toEqual({
      traefikLabels: [],
      placementConstraints: ["node.labels.zone == rack1"],
      replicas: 2,
      environment: { A: "1" },
    });
    expect(model.stacks.web!.environments.production!.variables).toEqual({ IMAGE: "nginx:1" });
    expect(model.stacks.web!.compose.services).toEqual(["web", "agent"]);
  });

  it.each<[string, unknown, unknown]>([
    ["a bare array of VMs", [{ vmid: 101, name: "a", swarm_role: "manager" }], { lxc_configs: [] }],
    [
      "LXCs as an array under lxc_configs",
      { vms: [] },
      { lxc_configs: [{ vmid: 101, name: "a", swarm_role: "manager" }] },
    ],
    ["LXCs as a bare array", { vms: [] }, [{ vmid: 101, name: "a", swarm_role: "manager" }]],
  ])("accepts %s", (_, vms, lxcs) => {
    const result = parseModel({
      "etc/phoenix_cluster.json": '{"name": "lab", "environments": ["dev1"]}',
      "etc/phoenix_vm_configs.json": JSON.stringify(vms),
      "etc/phoenix_lxc_configs.json": JSON.stringify(lxcs),
    });
    expect(result.ok && result.model.guests.map((g) => [g.vmid, g.name])).toEqual([[101, "a"]]);
  });

  it("turns environment lists and scalars into strings", () => {
    const b = base();
    web(b).environments.dev1.services.web.environment = ["A=1", "B=x=y", "C=", "spring.profiles.active=prod"];
    web(b).environments.production.services.web = { environment: { N: 3, T: true } };
    const result = parseModel(render(b));
    if (!result.ok) throw new Error(result.errors[0]!.describe());
    expect(result.model.stacks.web!.environments.dev1!.services.web!.environment).toEqual({
      A: "1",
      B: "x=y",
      C: "",
      "spring.profiles.active": "prod",
    });
    expect(result.model.stacks.web!.environments.production!.services.web!.environment).toEqual({
      N: "3",
      T: "true",
    });
  });
});
