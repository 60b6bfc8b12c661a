import { describe, expect, it } from "vitest";
import { NAMESPACE_LABEL, SPEC_HASH_LABEL } from "./labels";
import { resolveServiceSpec, type ServiceRefs, serviceHash } from "./resolve-service";
import type { ServiceSpec } from "./stack-specs";

const ns = "dev1_app";
const web: ServiceSpec = {
  Name: "dev1_app_web",
  Labels: { [NAMESPACE_LABEL]: ns },
  TaskTemplate: {
    ContainerSpec: {
      Image: "nginx:1.27",
      Secrets: [{ SecretName: "dev1_app_key", File: { Name: "key", UID: "0", GID: "0", Mode: 292 } }],
      Configs: [
        { ConfigName: "dev1_app_conf", File: { Name: "/etc/app.conf", UID: "0", GID: "0", Mode: 292 } },
      ],
    },
    Networks: [{ Target: "dev1_app_default", Aliases: ["web"] }, { Target: "phoenix_env_dev1" }],
  },
  Mode: { Replicated: { Replicas: 2 } },
};
const refs = (secret = { name: "dev1_app_key", id: "sec1" }): ServiceRefs => ({
  networks: new Map([
    ["dev1_app_default", { name: "dev1_app_default", id: "net1" }],
    ["phoenix_env_dev1", { name: "phoenix_env_dev1", id: "net2" }],
  ]),
  secrets: new Map([["dev1_app_key", secret]]),
  configs: new Map([["dev1_app_conf", { name: "dev1_app_conf-0a1b2c3d", id: "cfg2" }]]),
});

describe("resolveServiceSpec", () => {
  it("turns network names into ids and points secrets and configs at their current objects", () => {
    const out = resolveServiceSpec(web, refs(), ns);
    expect(out.TaskTemplate.Networks).toEqual([{ Target: "net1", Aliases: ["web"] }, { Target: "net2" }]);
    expect(out.TaskTemplate.ContainerSpec?.Secrets).toEqual([
      { SecretName: "dev1_app_key", SecretID: "sec1", File: { Name: "key", UID: "0", GID: "0", Mode: 292 } },
    ]);
    expect(out.TaskTemplate.ContainerSpec?.Configs).toEqual([
      {
        ConfigName: "dev1_app_conf-0a1b2c3d",
        ConfigID: "cfg2",
        File: { Name: "/etc/app.conf", UID: "0", GID: "0", Mode: 292 },
      },
    ]);
  });

  it("leaves the rendered spec untouched", () => {
    const before = structuredClone(web);
    resolveServiceSpec(web, refs(), ns);
    expect(web).toEqual(before);
  });

  it("labels the spec with a hash that is stable across applies", () => {
    const a = resolveServiceSpec(web, refs(), ns);
    const b = resolveServiceSpec(structuredClone(web), refs(), ns);
    expect(serviceHash(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(serviceHash(a)).toBe(serviceHash(b));
  });

  it.each([
    ["a new secret version", { ...web }, refs({ name: "dev1_app_key-99aa88bb", id: "sec2" })],
    ["another replica count", { ...web, Mode: { Replicated: { Replicas: 3 } } }, refs()],
    ["another label", { ...web, Labels: { ...web.Labels, tier: "front" } }, refs()],
  ])("changes the hash for %s", (_what, spec, r) => {
    expect(serviceHash(resolveServiceSpec(spec, r, ns))).not.toBe(
      serviceHash(resolveServiceSpec(web, refs(), ns)),
    );
  });

  it("keeps the namespace label and adds the hash label", () => {
    const out = resolveServiceSpec(web, refs(), ns);
    expect(Object.keys(out.Labels ?? {}).sort()).toEqual([NAMESPACE_LABEL, SPEC_HASH_LABEL].sort());
  });

  it.each([
    ["network", { ...web, TaskTemplate: { ...web.TaskTemplate, Networks: [{ Target: "nope_net" }] } }],
    [
      "secret",
      {
        ...web,
        TaskTemplate: { ContainerSpec: { Image: "x", Secrets: [{ SecretName: "nope_secret" }] } },
      },
    ],
  ])("names the service and the missing %s", (kind, spec) => {
    expect(() => resolveServiceSpec(spec, refs(), ns)).toThrow(
      expect.objectContaining({
        code: "NOT_FOUND",
        place: { stack: ns, service: "dev1_app_web" },
        message: expect.stringContaining(`${kind} nope_`),
      }),
    );
  });
});
