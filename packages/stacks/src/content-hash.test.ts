import { describe, expect, it } from "vitest";
import {
  contentHash,
  LABEL_CONTENT_HASH,
  LABEL_LOGICAL_NAME,
  versionedName,
  versionObjects,
} from "./content-hash";
import { renderFixture } from "./testing/fixtures";

describe("content-addressed secret and config names", () => {
  it("hashes the decoded content", () => {
    expect(contentHash(Buffer.from("hello\n").toString("base64"))).toBe(
      "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03",
    );
    expect(contentHash(undefined)).toBe(contentHash(""));
  });

  it("appends 10 hex digits and refuses names Swarm would reject", () => {
    expect(versionedName("app_db_password", "abcdef0123456789")).toBe("app_db_password-abcdef0123");
    expect(() => versionedName("x".repeat(60), "abcdef0123")).toThrow("longer than 64 characters");
  });

  it("versions every created secret and config and switches the services to them", () => {
    const rendered = renderFixture("phoenix-kitchen-sink");
    const versioned = versionObjects(rendered);
    const s1 = versioned.secrets.find((s) => s.Labels[LABEL_LOGICAL_NAME] === "phoenix-kitchen-sink_s1");
    expect(s1?.Name).toMatch(/^phoenix-kitchen-sink_s1-[0-9a-f]{10}$/);
    expect(s1?.Labels[LABEL_CONTENT_HASH]).toBe(contentHash(s1?.Data));
    expect(s1?.Labels["com.docker.stack.namespace"]).toBe("phoenix-kitchen-sink");
    const app = versioned.services.find((s) => s.Name === "phoenix-kitchen-sink_app");
    const refs = app?.TaskTemplate.ContainerSpec.Secrets?.map((r) => r.SecretName) ?? [];
    expect(refs).toContain(s1?.Name);
    expect(refs).toContain("ext_secret");
    expect(refs).toEqual([...refs].sort());
    const configRefs = app?.TaskTemplate.ContainerSpec.Configs?.map((r) => r.ConfigName) ?? [];
    expect(configRefs.every((n) => /-[0-9a-f]{10}$/.test(n))).toBe(true);
    expect(versioned.secrets.map((s) => s.Name)).toEqual([...versioned.secrets.map((s) => s.Name)].sort());
  });

  it("gives the same names for the same content and new names for new content", () => {
    const a = versionObjects(renderFixture("atsea-sample-shop-app"));
    const b = versionObjects(renderFixture("atsea-sample-shop-app"));
    expect(a.secrets.map((s) => s.Name)).toEqual(b.secrets.map((s) => s.Name));
    const changed = renderFixture("atsea-sample-shop-app");
    (changed.secrets[0] as { Data?: string }).Data = Buffer.from("rotated").toString("base64");
    expect(versionObjects(changed).secrets[0]?.Name).not.toBe(a.secrets[0]?.Name);
  });

  it("leaves driver-backed secrets alone", () => {
    const rendered = renderFixture("atsea-sample-shop-app");
    rendered.secrets = [{ Name: "x_vault", Labels: {}, Driver: { Name: "vault" } }];
    expect(versionObjects(rendered).secrets).toEqual(rendered.secrets);
  });
});
