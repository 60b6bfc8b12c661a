import { describe, expect, it } from "vitest";
import {
  convertDeployMode,
  convertEndpointSpec,
  convertEnvironment,
  convertExtraHosts,
  convertHealthcheck,
  convertResources,
  convertRestartPolicy,
  convertServiceNetworks,
  convertServiceSecrets,
  convertUlimits,
  convertUpdateConfig,
  effectiveCapabilities,
} from "./service";

describe("convertDeployMode", () => {
  it.each([
    [undefined, undefined, { Replicated: {} }],
    ["replicated", 3, { Replicated: { Replicas: 3 } }],
    ["replicated", 0, { Replicated: { Replicas: 0 } }],
    ["global", undefined, { Global: {} }],
    ["replicated-job", 2, { ReplicatedJob: { MaxConcurrent: 2, TotalCompletions: 2 } }],
    ["replicated-job", undefined, { ReplicatedJob: {} }],
    ["global-job", undefined, { GlobalJob: {} }],
  ])("%s × %s", (mode, replicas, expected) => {
    expect(convertDeployMode(mode, replicas)).toEqual(expected);
  });

  it.each([
    ["global", 2, "replicas can only be used with replicated or replicated-job mode"],
    ["global-job", 1, "replicas can only be used with replicated or replicated-job mode"],
    ["daemonset", undefined, "unknown mode: daemonset"],
  ])("rejects %s × %s", (mode, replicas, message) => {
    expect(() => convertDeployMode(mode, replicas)).toThrow(message);
  });
});

describe("convertRestartPolicy", () => {
  it.each([
    ["always", { Condition: "any" }],
    ["unless-stopped", { Condition: "any" }],
    ["unless-stopped:5", { Condition: "any" }],
    ["on-failure", { Condition: "on-failure", MaxAttempts: 0 }],
    ["on-failure:7", { Condition: "on-failure", MaxAttempts: 7 }],
    ["no", undefined],
    [undefined, undefined],
  ])("restart: %s", (restart, policy) => {
    expect(convertRestartPolicy(restart, undefined)).toEqual(policy);
  });

  it("prefers deploy.restart_policy and keeps explicit zeros", () => {
    expect(convertRestartPolicy("always", { condition: "on-failure", delay: 0, maxAttempts: 0 })).toEqual({
      Condition: "on-failure",
      Delay: 0,
      MaxAttempts: 0,
    });
  });

  it.each([
    ["sometimes", "unknown restart policy: sometimes"],
    [":3", "no policy provided before colon"],
    ["on-failure:x", "maximum retry count must be an integer"],
    ["on-failure:-1", "maximum retry count cannot be negative"],
  ])("rejects %s", (restart, message) => {
    expect(() => convertRestartPolicy(restart, undefined)).toThrow(message);
  });
});

describe("convertHealthcheck", () => {
  it.each([
    [undefined, undefined],
    [{ disable: true }, { Test: ["NONE"] }],
    [
      { test: ["CMD-SHELL", "curl -f x"], interval: 30e9, retries: 3 },
      { Test: ["CMD-SHELL", "curl -f x"], Interval: 30e9, Retries: 3 },
    ],
    [{ test: ["NONE"] }, { Test: ["NONE"] }],
    [
      { timeout: 1e9, startPeriod: 2e9, startInterval: 3e9 },
      { Timeout: 1e9, StartPeriod: 2e9, StartInterval: 3e9 },
    ],
  ])("%j", (source, config) => {
    expect(convertHealthcheck(source)).toEqual(config);
  });

  it("rejects test together with disable", () => {
    expect(() => convertHealthcheck({ disable: true, test: ["CMD", "x"] })).toThrow("test and disable");
  });
});

describe("small converters", () => {
  it("sorts environment, keeps value-less names", () => {
    expect(convertEnvironment({ Z: "1", A: null, M: "" })).toEqual(["A", "M=", "Z=1"]);
  });

  it("writes extra hosts in hosts-file order `ip name`", () => {
    expect(convertExtraHosts(["somehost:162.242.195.82", "v6:::1"])).toEqual([
      "162.242.195.82 somehost",
      "::1 v6",
    ]);
  });

  it("sorts ports by published port, keeping file order for ties", () => {
    const spec = convertEndpointSpec("VIP", [
      { target: 53, published: 53, protocol: "udp", mode: "ingress" },
      { target: 80 },
      { target: 53, published: 53, protocol: "tcp", mode: "ingress" },
      { target: 443, published: 8443 },
      { target: 81 },
    ]);
    expect(spec).toEqual({
      Mode: "vip",
      Ports: [
        { TargetPort: 80 },
        { TargetPort: 81 },
        { Protocol: "udp", TargetPort: 53, PublishedPort: 53, PublishMode: "ingress" },
        { Protocol: "tcp", TargetPort: 53, PublishedPort: 53, PublishMode: "ingress" },
        { TargetPort: 443, PublishedPort: 8443 },
      ],
    });
  });

  it("defaults update parallelism to 1", () => {
    expect(convertUpdateConfig({})).toEqual({ Parallelism: 1 });
    expect(convertUpdateConfig({ parallelism: 0, order: "start-first", monitor: 5e9 })).toEqual({
      Parallelism: 0,
      Order: "start-first",
      Monitor: 5e9,
    });
    expect(convertUpdateConfig(undefined)).toBeUndefined();
  });

  it("converts resources", () => {
    expect(
      convertResources({
        limits: { cpus: "0.5", memory: 52428800, pids: 100 },
        reservations: {
          cpus: "0.25",
          genericResources: [{ discreteResourceSpec: { kind: "gpu", value: 2 } }],
        },
      }),
    ).toEqual({
      Limits: { NanoCPUs: 500000000, MemoryBytes: 52428800, Pids: 100 },
      Reservations: {
        NanoCPUs: 250000000,
        GenericResources: [{ DiscreteResourceSpec: { Kind: "gpu", Value: 2 } }],
      },
    });
    expect(() => convertResources({ limits: { cpus: "0.0000000001" } })).toThrow("value is too precise");
  });

  it("sorts ulimits; a single number sets soft and hard", () => {
    expect(convertUlimits({ nproc: { single: 65535 }, nofile: { soft: 20000, hard: 40000 } })).toEqual([
      { Name: "nofile", Soft: 20000, Hard: 40000 },
      { Name: "nproc", Soft: 65535, Hard: 65535 },
    ]);
  });

  it.each([
    [["net_admin", "SYS_ADMIN"], ["NET_ADMIN"], ["CAP_NET_ADMIN", "CAP_SYS_ADMIN"], []],
    [["ALL", "chown"], ["net_admin"], ["ALL"], ["CAP_NET_ADMIN"]],
    [[], ["ALL", "chown"], [], ["ALL"]],
    [["cap_chown"], ["CAP_CHOWN", "RESET"], ["CAP_CHOWN"], []],
  ])("capabilities add %j drop %j", (add, drop, capAdd, capDrop) => {
    expect(effectiveCapabilities(add, drop)).toEqual({ capAdd, capDrop });
  });
});

describe("convertServiceNetworks", () => {
  const declared = {
    front: { ipam: {}, external: { external: false }, internal: false, attachable: false },
    named: { name: "custom", ipam: {}, external: { external: false }, internal: false, attachable: false },
    hostnet: { name: "host", ipam: {}, external: { external: true }, internal: false, attachable: false },
  };

  it("joins default when none are listed, adds the service name as alias on user-defined networks", () => {
    expect(convertServiceNetworks(undefined, declared, "ns", "web")).toEqual([
      { Target: "ns_default", Aliases: ["web"] },
    ]);
    expect(
      convertServiceNetworks(
        { named: null, front: { aliases: ["a"], driverOpts: { x: "1" } }, hostnet: null },
        declared,
        "ns",
        "web",
      ),
    ).toEqual([
      { Target: "custom", Aliases: ["web"] },
      { Target: "host" },
      { Target: "ns_front", Aliases: ["a", "web"], DriverOpts: { x: "1" } },
    ]);
  });

  it("rejects an undeclared network", () => {
    expect(() => convertServiceNetworks({ nope: null }, declared, "ns", "web")).toThrow(
      'undefined network "nope"',
    );
  });
});

describe("convertServiceSecrets", () => {
  const declared = {
    s: { external: { external: false } },
    ext: { external: { external: true }, name: "outside" },
  };

  it("applies Docker's defaults and sorts by secret name", () => {
    expect(
      convertServiceSecrets(
        "ns",
        [{ source: "s" }, { source: "ext", target: "/run/x", uid: "1", gid: "2", mode: 0o400 }],
        declared,
      ),
    ).toEqual(
      [
        { File: { Name: "s", UID: "0", GID: "0", Mode: 0o444 }, SecretName: "ns_s" },
        { File: { Name: "/run/x", UID: "1", GID: "2", Mode: 0o400 }, SecretName: "outside" },
      ].sort((a, b) => (a.SecretName < b.SecretName ? -1 : 1)),
    );
  });

  it.each([
    [[{ source: "nope" }], 'undefined secret "nope"'],
    [[{ source: "s" }, { source: "ext", target: "s" }], "duplicate secret target for outside not allowed"],
  ])("rejects %j", (refs, message) => {
    expect(() => convertServiceSecrets("ns", refs, declared)).toThrow(message);
  });
});
