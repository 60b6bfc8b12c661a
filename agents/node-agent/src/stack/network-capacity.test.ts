import { describe, expect, it } from "vitest";
import type { EngineNode } from "./engine";
import {
  addressesNeeded,
  capacityNote,
  composeSubnetSetting,
  environmentSubnetSetting,
  indexNodes,
  nodeMatches,
  schedulableNodes,
  servicesByNetwork,
  usableAddresses,
} from "./network-capacity";

const node = (id: string, extra: Partial<EngineNode> = {}): EngineNode => ({
  ID: id,
  Spec: { Role: "worker", Availability: "active", Labels: {}, ...extra.Spec },
  Description: {
    Hostname: id,
    Platform: { OS: "linux", Architecture: "x86_64" },
    Engine: { Labels: {} },
    ...extra.Description,
  },
  Status: { State: "ready", ...extra.Status },
});

describe("usableAddresses", () => {
  it.each([
    ["10.0.1.0/24", 253],
    ["10.77.0.0/28", 13],
    ["10.42.0.0/20", 4093],
    ["10.0.0.0/8", 16_777_213],
    ["10.0.0.0/31", 0],
    ["fd00::/64", undefined],
    ["not a subnet", undefined],
  ])("%s holds %s", (subnet, n) => {
    expect(usableAddresses(subnet)).toBe(n);
  });
});

describe("nodeMatches", () => {
  const gpu = node("gpu1", {
    Spec: { Role: "worker", Labels: { "phoenix.gpu.present": "true" } },
    Description: { Hostname: "gpu1", Engine: { Labels: { zone: "rack2" } } },
  });
  it.each<[string[], boolean]>([
    [[], true],
    [["node.role == worker"], true],
    [["node.role==manager"], false],
    [["node.role != manager"], true],
    [["node.labels.phoenix.gpu.present == TRUE"], true],
    [["node.labels.phoenix.gpu.present == false"], false],
    [["node.labels.missing != x"], true],
    [["node.labels.missing == x"], false],
    [["engine.labels.zone == rack2"], true],
    [["node.hostname == gpu1", "node.role == manager"], false],
    [["node.platform.arch == x86_64"], true],
    [["node.id == gpu1"], true],
    // what this does not read counts as met: the count errs towards more tasks
    [["node.ip == 10.0.0.0/8"], true],
    [["no operator"], true],
  ])("%j → %s", (constraints, expected) => {
    expect(nodeMatches(gpu, constraints)).toBe(expected);
  });
});

describe("indexNodes", () => {
  const nodes = [
    node("m1", { Spec: { Role: "manager", Labels: { zone: "Rack1" } } }),
    node("w1", { Spec: { Role: "worker", Labels: { zone: "rack1", "phoenix.stack.web": "true" } } }),
    node("w2", {
      Spec: { Role: "worker", Labels: { zone: "rack2" } },
      Description: { Engine: { Labels: { ssd: "yes" } } },
    }),
    node("w3", { Spec: { Role: "worker" } }),
  ];
  const index = indexNodes(nodes);
  it.each<[string[]]>([
    [[]],
    [["node.labels.zone == rack1"]],
    [["node.labels.zone == RACK1", "node.role == worker"]],
    [["node.labels.zone == "]],
    [["node.labels.zone != rack1"]],
    [["node.labels.phoenix.stack.web == true"]],
    [["engine.labels.ssd == yes"]],
    [["node.role == manager"]],
    [["node.hostname == w3"]],
    [["node.ip == 10.0.0.1", "node.role == worker"]],
  ])("%j: the nodes nodeMatches takes", (constraints) => {
    const want = nodes.filter((n) => nodeMatches(n, constraints)).map((n) => n.ID);
    expect(index.matching(constraints).map((n) => n.ID)).toEqual(want);
  });
});

describe("schedulableNodes", () => {
  it("keeps ready, active nodes", () => {
    const nodes = [
      node("a"),
      node("drained", { Spec: { Availability: "drain" } }),
      node("paused", { Spec: { Availability: "pause" } }),
      node("down", { Status: { State: "down" } }),
    ];
    expect(schedulableNodes(nodes).map((n) => n.ID)).toEqual(["a"]);
  });
});

describe("addressesNeeded", () => {
  const net = { Id: "netid", Name: "phoenix_env_dev1" };
  const two = [node("n1", { Spec: { Role: "manager" } }), node("n2")];
  const svc = (mode: object, opts: { target?: string; vip?: boolean; constraints?: string[] } = {}) => ({
    Mode: mode,
    TaskTemplate: {
      Networks: [{ Target: opts.target ?? "netid" }],
      Placement: { Constraints: opts.constraints ?? [] },
    },
    EndpointSpec: { Mode: opts.vip ? "vip" : "dnsrr" },
  });

  it("counts a /28 filled exactly, as Docker did on two nodes", () => {
    // A service of 2 replicas with a VIP, a global dnsrr service and one of 6 dnsrr replicas used
    // every one of the 13 addresses of 10.77.0.0/28 (lb-<network> on both nodes); a 14th task
    // stayed in state "new".
    const use = addressesNeeded(
      net,
      [
        svc({ Replicated: { Replicas: 2 } }, { vip: true }),
        svc({ Global: {} }),
        svc({ Replicated: { Replicas: 6 } }),
      ],
      indexNodes(two),
    );
    expect(use).toEqual({ tasks: 10, vips: 1, nodes: 2, total: 13 });
    expect(use.total).toBe(usableAddresses("10.77.0.0/28"));
  });

  it.each<[string, object[], { tasks: number; vips: number; nodes: number; total: number }]>([
    [
      "a rendered spec names the network",
      [svc({ Replicated: { Replicas: 3 } }, { target: net.Name })],
      {
        tasks: 3,
        vips: 0,
        nodes: 2,
        total: 5,
      },
    ],
    [
      "the deprecated Networks field",
      [{ Mode: { Replicated: { Replicas: 1 } }, Networks: [{ Target: "netid" }] }],
      {
        tasks: 1,
        vips: 1,
        nodes: 1,
        total: 3,
      },
    ],
    [
      "another network",
      [svc({ Replicated: { Replicas: 5 } }, { target: "other" })],
      {
        tasks: 0,
        vips: 0,
        nodes: 0,
        total: 0,
      },
    ],
    [
      "a global service on the managers",
      [svc({ Global: {} }, { constraints: ["node.role == manager"] })],
      {
        tasks: 1,
        vips: 0,
        nodes: 1,
        total: 2,
      },
    ],
    [
      "no replicas",
      [svc({ Replicated: { Replicas: 0 } }, { vip: true })],
      { tasks: 0, vips: 1, nodes: 0, total: 1 },
    ],
    [
      "a replicated job",
      [svc({ ReplicatedJob: { MaxConcurrent: 4, TotalCompletions: 40 } })],
      {
        tasks: 4,
        vips: 0,
        nodes: 2,
        total: 6,
      },
    ],
    ["a global job", [svc({ GlobalJob: {} })], { tasks: 2, vips: 0, nodes: 2, total: 4 }],
    [
      "no mode",
      [{ TaskTemplate: { Networks: [{ Target: "netid" }] } }],
      { tasks: 1, vips: 1, nodes: 1, total: 3 },
    ],
  ])("%s", (_, services, expected) => {
    expect(addressesNeeded(net, services, indexNodes(two))).toEqual(expected);
  });
});

describe("servicesByNetwork", () => {
  it("lists each service under every network it names, once", () => {
    const a = { TaskTemplate: { Networks: [{ Target: "n1" }, { Target: "n2" }, { Target: "n1" }] } };
    const b = { Networks: [{ Target: "n2" }] };
    const c = { TaskTemplate: {} };
    expect(servicesByNetwork([a, b, c])).toEqual(
      new Map([
        ["n1", [a]],
        ["n2", [a, b]],
      ]),
    );
  });
});

describe("capacityNote", () => {
  const use = (total: number) => ({ tasks: total - 3, vips: 1, nodes: 2, total });
  const existing = { subnet: "10.0.1.0/24", exists: true, defaultPrefix: 24 };

  it("says nothing up to 80 % of the subnet", () => {
    expect(capacityNote(environmentSubnetSetting("dev1"), existing, use(202))).toBeUndefined();
  });

  it("says how many more fit past 80 %", () => {
    expect(capacityNote(environmentSubnetSetting("dev1"), existing, use(203))).toBe(
      "will use 203 of the 253 addresses of its subnet 10.0.1.0/24 (200 tasks, 1 service VIP, 2 node load balancers): 50 more fit; a larger subnet goes in etc/phoenix_cluster.json environment_networks.dev1.subnet",
    );
  });

  it("says what happens past the subnet, and that an existing network must be recreated", () => {
    expect(
      capacityNote(environmentSubnetSetting("dev1"), existing, { tasks: 290, vips: 0, nodes: 1, total: 291 }),
    ).toBe(
      'needs 291 addresses (290 tasks, 1 node load balancer) and its subnet 10.0.1.0/24 has 253: the tasks past that stay in state "new" and never start; give it a larger subnet in etc/phoenix_cluster.json environment_networks.dev1.subnet (the network must then be recreated)',
    );
  });

  it("names Swarm's default size for a network not created yet", () => {
    const note = capacityNote(
      environmentSubnetSetting("test"),
      { exists: false, defaultPrefix: 26 },
      use(70),
    );
    expect(note).toBe(
      'needs 70 addresses (67 tasks, 1 service VIP, 2 node load balancers) and the /26 Swarm gives it has 61: the tasks past that stay in state "new" and never start; give it a larger subnet in etc/phoenix_cluster.json environment_networks.test.subnet',
    );
  });

  it("says where a stack network's subnet is set", () => {
    expect(
      capacityNote(composeSubnetSetting("back"), existing, { tasks: 300, vips: 0, nodes: 3, total: 303 }),
    ).toBe(
      'needs 303 addresses (300 tasks, 3 node load balancers) and its subnet 10.0.1.0/24 has 253: the tasks past that stay in state "new" and never start; give it a larger subnet in the stack\'s compose file (networks.back.ipam.config: - subnet: ...) (the network must then be recreated)',
    );
  });

  it("says nothing of an IPv6 subnet", () => {
    expect(
      capacityNote(
        environmentSubnetSetting("dev1"),
        { subnet: "fd00::/120", exists: true, defaultPrefix: 24 },
        use(9999),
      ),
    ).toBeUndefined();
  });
});
