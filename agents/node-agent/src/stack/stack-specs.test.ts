import { describe, expect, it } from "vitest";
import { NAMESPACE_LABEL } from "./labels";
import { parseStackSpecs } from "./stack-specs";

const ns = "dev1_app";
const svc = (name: string, labels?: Record<string, string>) => ({
  Name: name,
  ...(labels ? { Labels: labels } : {}),
  TaskTemplate: { ContainerSpec: { Image: "app:1" } },
  Mode: { Replicated: { Replicas: 1 } },
});

describe("parseStackSpecs", () => {
  it("reads the four lists, missing lists being empty", () => {
    const specs = parseStackSpecs(
      JSON.stringify({ services: [svc("dev1_app_web", { [NAMESPACE_LABEL]: ns })] }),
      ns,
    );
    expect(specs.networks).toEqual([]);
    expect(specs.secrets).toEqual([]);
    expect(specs.services.map((s) => s.Name)).toEqual(["dev1_app_web"]);
  });

  it("keeps fields it does not know, for Docker", () => {
    const withExtra = { ...svc("dev1_app_web"), EndpointSpec: { Mode: "dnsrr" } };
    const specs = parseStackSpecs(JSON.stringify({ services: [withExtra] }), ns);
    expect(specs.services[0]).toMatchObject({ EndpointSpec: { Mode: "dnsrr" } });
  });

  it("adds the namespace label where it is missing", () => {
    const specs = parseStackSpecs(
      JSON.stringify({ services: [svc("dev1_app_web")], secrets: [{ Name: "dev1_app_k", Data: "" }] }),
      ns,
    );
    expect(specs.services[0]?.Labels).toEqual({ [NAMESPACE_LABEL]: ns });
    expect(specs.secrets[0]?.Labels).toEqual({ [NAMESPACE_LABEL]: ns });
  });

  it("leaves a shared environment network without the namespace label", () => {
    const env = {
      Name: "phoenix_env_dev1",
      Driver: "overlay",
      Labels: { "phoenix.managed": "true", "phoenix.environment": "dev1" },
    };
    const specs = parseStackSpecs(JSON.stringify({ networks: [env] }), ns);
    expect(specs.networks[0]?.Labels).toEqual(env.Labels);
  });

  it.each([
    ["not JSON", "{nope", "specs_json is not valid JSON"],
    [
      "a service without a name",
      JSON.stringify({ services: [{ TaskTemplate: {} }] }),
      "specs_json.services.0.Name: is required",
    ],
    ["specs that are not an object", "[]", "specs_json: must be an object"],
    ["services that are not a list", JSON.stringify({ services: {} }), "specs_json.services: must be a list"],
    [
      "an empty service name",
      JSON.stringify({ services: [{ ...svc(""), Name: "" }] }),
      "specs_json.services.0.Name: must not be empty",
    ],
    [
      "a label that is not a string",
      JSON.stringify({ services: [svc("x", { a: 1 } as never)] }),
      "specs_json.services.0.Labels.a: must be a string",
    ],
    [
      "a network reference without a target",
      JSON.stringify({ services: [{ ...svc("x"), Networks: [{ Aliases: ["x"] }] }] }),
      "specs_json.services.0.Networks.0.Target: is required",
    ],
    [
      "a service without an image",
      JSON.stringify({ services: [{ Name: "x", TaskTemplate: { ContainerSpec: {} } }] }),
      "specs_json.services.0.TaskTemplate.ContainerSpec.Image: is required",
    ],
    [
      "a name declared twice",
      JSON.stringify({ services: [svc("dev1_app_a"), svc("dev1_app_a")] }),
      'services name "dev1_app_a" is declared twice',
    ],
    [
      "another namespace's label",
      JSON.stringify({ services: [svc("x", { [NAMESPACE_LABEL]: "test_app" })] }),
      'labelled for namespace "test_app"',
    ],
  ])("rejects %s", (_what, json, message) => {
    expect(() => parseStackSpecs(json, ns)).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT", message: expect.stringContaining(message) }),
    );
  });

  it("never quotes secret data when the JSON is broken", () => {
    const secret = "hunter2-very-secret";
    try {
      parseStackSpecs(`{"secrets":[{"Name":"k","Data":"${secret}"}`, ns);
      expect.unreachable();
    } catch (err) {
      expect(String((err as Error).message)).not.toContain(secret);
    }
  });
});
