import { describe, expect, it } from "vitest";
import type { EngineObject } from "./engine";
import { NAMESPACE_LABEL, SPEC_HASH_LABEL } from "./labels";
import { objectHash, planObjects, versionedName } from "./object-versions";
import type { ObjectSpec } from "./stack-specs";

const ns = "dev1_app";
const b64 = (s: string) => Buffer.from(s).toString("base64");
const spec = (name: string, data: string, labels: Record<string, string> = {}): ObjectSpec => ({
  Name: name,
  Labels: { [NAMESPACE_LABEL]: ns, ...labels },
  Data: b64(data),
});
const stored = (id: string, s: ObjectSpec, namespace = ns, withHash = true): EngineObject => ({
  ID: id,
  Spec: {
    Name: s.Name,
    Labels: {
      ...s.Labels,
      [NAMESPACE_LABEL]: namespace,
      ...(withHash ? { [SPEC_HASH_LABEL]: objectHash(s) } : {}),
    },
  },
});

describe("planObjects", () => {
  const v1 = spec("dev1_app_key", "one");
  const v2 = spec("dev1_app_key", "two");
  const v2name = versionedName(v2.Name, objectHash(v2));

  it("creates a new object under its declared name", () => {
    const plan = planObjects("secret", [v1], [], ns);
    expect(plan.versions).toEqual([
      {
        declared: "dev1_app_key",
        name: "dev1_app_key",
        create: { ...v1, Labels: { ...v1.Labels, [SPEC_HASH_LABEL]: objectHash(v1) } },
      },
    ]);
    expect(plan.replaced).toEqual([]);
    expect(plan.undeclared).toEqual([]);
  });

  it("reuses an object holding the same content", () => {
    const plan = planObjects("secret", [v1], [stored("id1", v1)], ns);
    expect(plan.versions).toEqual([{ declared: "dev1_app_key", name: "dev1_app_key", id: "id1" }]);
    expect(plan.replaced).toEqual([]);
  });

  it("rotates changed content to <name>-<hash8> and marks the old object replaced", () => {
    const old = stored("id1", v1);
    const plan = planObjects("secret", [v2], [old], ns);
    expect(v2name).toMatch(/^dev1_app_key-[0-9a-f]{8}$/);
    expect(plan.versions[0]?.name).toBe(v2name);
    expect(plan.versions[0]?.create?.Name).toBe(v2name);
    expect(plan.replaced).toEqual([old]);
  });

  it("reuses the versioned object once rotated", () => {
    const current = stored("id2", { ...v2, Name: v2name });
    const plan = planObjects("config", [v2], [current], ns);
    expect(plan.versions).toEqual([{ declared: "dev1_app_key", name: v2name, id: "id2" }]);
    expect(plan.replaced).toEqual([]);
  });

  it("goes back to the declared name when it is free again", () => {
    const current = stored("id2", { ...v2, Name: v2name });
    const plan = planObjects("config", [v1], [current], ns);
    expect(plan.versions[0]?.name).toBe("dev1_app_key");
    expect(plan.versions[0]?.create).toBeDefined();
    expect(plan.replaced).toEqual([current]);
  });

  it("treats an object without Phoenix's hash (made by docker stack deploy) as other content", () => {
    const old = stored("id1", v1, ns, false);
    const plan = planObjects("secret", [v1], [old], ns);
    expect(plan.versions[0]?.name).toBe(versionedName(v1.Name, objectHash(v1)));
    expect(plan.replaced).toEqual([old]);
  });

  it("lists undeclared objects of the namespace, never those of another namespace", () => {
    const gone = stored("id3", spec("dev1_app_old", "x"));
    const other = stored(
      "id4",
      { ...spec("test_app_key", "x"), Labels: { [NAMESPACE_LABEL]: "test_app" } },
      "test_app",
    );
    const plan = planObjects("secret", [v1], [stored("id1", v1), gone, other], ns);
    expect(plan.undeclared).toEqual([gone]);
    expect(plan.replaced).toEqual([]);
  });

  it("a label change is a content change (labels of secrets are immutable too)", () => {
    const relabelled = spec("dev1_app_key", "one", { team: "a" });
    expect(objectHash(relabelled)).not.toBe(objectHash(v1));
  });

  it("refuses when the versioned name is taken by an object Phoenix did not make", () => {
    const squatter = stored("id9", { ...v2, Name: v2name }, ns, false);
    expect(() => planObjects("secret", [v2], [stored("id1", v1), squatter], ns)).toThrow(
      expect.objectContaining({ code: "CONFLICT" }),
    );
  });
});
