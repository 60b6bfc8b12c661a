import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { ServiceSpec } from "./engine-types";
import { compactSpec, diffServiceSpec, serviceSpecMatches, withDaemonDefaults } from "./spec-diff";
import { renderFixture } from "./testing/fixtures";

// `fixtures/inspect/<name>.json`: `docker service inspect` → Spec of every service of the
// fixture as Docker 20.10 stored it after `docker stack deploy` (real captures, with the
// defaults `docker service inspect` asks for); `<name>.plain.json`: the same read by a plain API
// client (`GET /services/<id>`, no defaults). Both carry the names of the network ids used.
function captured(name: string): { services: ServiceSpec[]; networks: Record<string, string> } {
  return JSON.parse(readFileSync(new URL(`../fixtures/inspect/${name}.json`, import.meta.url), "utf8"));
}

describe("compactSpec", () => {
  it.each([
    [{ A: null, B: "", C: false, D: 0, E: [], F: {}, G: "x" }, { G: "x" }],
    [{ Mode: { Replicated: { Replicas: 0 } } }, { Mode: { Replicated: { Replicas: 0 } } }],
    [{ Mode: { Global: {} } }, { Mode: { Global: {} } }],
    [
      { TaskTemplate: { ContainerSpec: { Init: false, Privileges: { CredentialSpec: null } } } },
      { TaskTemplate: { ContainerSpec: { Init: false } } },
    ],
    [
      { TaskTemplate: { RestartPolicy: { Delay: 0, Condition: "" } } },
      { TaskTemplate: { RestartPolicy: { Delay: 0 } } },
    ],
    [{ UpdateConfig: { MaxFailureRatio: 0, Order: "" } }, undefined],
  ])("%j", (value, compact) => {
    expect(compactSpec(value)).toEqual(compact);
  });
});

describe("diffServiceSpec against specs Docker stored", () => {
  it.each(["phoenix-kitchen-sink", "example-voting-app", "example-voting-app.plain"])(
    "%s: the rendered specs match what docker stack deploy created",
    (name) => {
      const { services, networks } = captured(name);
      const rendered = renderFixture(name.replace(/\.plain$/, ""));
      expect(services).toHaveLength(rendered.services.length);
      for (const desired of rendered.services) {
        const observed = services.find((s) => s.Name === desired.Name) as ServiceSpec;
        expect(diffServiceSpec(desired, observed, { networks })).toEqual([]);
        expect(serviceSpecMatches(desired, observed, { networks })).toBe(true);
      }
    },
  );

  const base = () => {
    const { services, networks } = captured("example-voting-app");
    const desired = renderFixture("example-voting-app").services.find(
      (s) => s.Name === "example-voting-app_redis",
    ) as ServiceSpec;
    const observed = services.find((s) => s.Name === "example-voting-app_redis") as ServiceSpec;
    return { desired, observed, networks };
  };

  it.each<[string, (s: ServiceSpec) => void, string]>([
    [
      "replicas",
      (s) => {
        s.Mode = { Replicated: { Replicas: 5 } };
      },
      "Mode.Replicated.Replicas",
    ],
    [
      "image",
      (s) => {
        s.Labels["com.docker.stack.image"] = "redis:7";
        s.TaskTemplate.ContainerSpec.Image = "redis:7";
      },
      "TaskTemplate.ContainerSpec.Image",
    ],
    [
      "an env var",
      (s) => {
        s.TaskTemplate.ContainerSpec.Env = ["A=1"];
      },
      "TaskTemplate.ContainerSpec.Env",
    ],
    [
      "a label",
      (s) => {
        s.Labels.extra = "1";
      },
      "Labels.extra",
    ],
    [
      "update delay",
      (s) => {
        (s.UpdateConfig as { Delay?: number }).Delay = 1;
      },
      "UpdateConfig.Delay",
    ],
    [
      "a network",
      (s) => {
        s.TaskTemplate.Networks = [{ Target: "other" }];
      },
      "TaskTemplate.Networks[0].Target",
    ],
    [
      "restart delay 0 (not the default 5s)",
      (s) => {
        s.TaskTemplate.RestartPolicy = { Condition: "on-failure", Delay: 0 };
      },
      "TaskTemplate.RestartPolicy.Delay",
    ],
  ])("notices a changed %s", (_what, change, path) => {
    const { desired, observed, networks } = base();
    change(desired);
    expect(diffServiceSpec(desired, observed, { networks }).map((d) => d.path)).toContain(path);
  });

  it("ignores an image digest Docker resolved while the compose image is unchanged", () => {
    const { desired, observed, networks } = base();
    observed.TaskTemplate.ContainerSpec.Image =
      "redis:alpine@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    expect(diffServiceSpec(desired, observed, { networks })).toEqual([]);
    desired.Labels["com.docker.stack.image"] = "redis:7";
    desired.TaskTemplate.ContainerSpec.Image = "redis:7";
    expect(diffServiceSpec(desired, observed, { networks }).map((d) => d.path)).toEqual([
      "Labels.com.docker.stack.image",
      "TaskTemplate.ContainerSpec.Image",
    ]);
  });

  it("ignores ForceUpdate and secret/config ids", () => {
    const { services, networks } = captured("phoenix-kitchen-sink");
    const desired = renderFixture("phoenix-kitchen-sink").services.find(
      (s) => s.Name === "phoenix-kitchen-sink_app",
    ) as ServiceSpec;
    const observed = structuredClone(services.find((s) => s.Name === desired.Name) as ServiceSpec);
    observed.TaskTemplate.ForceUpdate = 3;
    expect(observed.TaskTemplate.ContainerSpec.Secrets?.[0]?.SecretID).toMatch(/^[a-z0-9]{25}$/);
    expect(diffServiceSpec(desired, observed, { networks })).toEqual([]);
  });
});

describe("withDaemonDefaults", () => {
  it("fills what the daemon fills", () => {
    const spec: ServiceSpec = {
      Name: "a_b",
      Labels: {},
      TaskTemplate: { ContainerSpec: { Image: "x:1", Labels: {} } },
      Mode: { Replicated: {} },
      EndpointSpec: { Ports: [{ TargetPort: 80 }] },
    };
    const filled = withDaemonDefaults(spec);
    expect(filled.TaskTemplate.ContainerSpec.StopGracePeriod).toBe(10e9);
    expect(filled.TaskTemplate.RestartPolicy).toEqual({ Condition: "any", Delay: 5e9, MaxAttempts: 0 });
    expect(filled.Mode).toEqual({ Replicated: { Replicas: 1 } });
    expect(filled.UpdateConfig).toEqual({
      Parallelism: 1,
      FailureAction: "pause",
      Monitor: 5e9,
      Order: "stop-first",
    });
    expect(filled.EndpointSpec).toEqual({
      Mode: "vip",
      Ports: [{ Protocol: "tcp", TargetPort: 80, PublishedPort: undefined, PublishMode: "ingress" }],
    });
    expect(spec.TaskTemplate.RestartPolicy).toBeUndefined();
  });
});
