// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are compose interpolation syntax
import { describe, expect, it } from "vitest";
import { parseComposeYaml } from "./compose-yaml";
import { interpolateConfig, substitute } from "./interpolation";

const vars: Record<string, string> = { SET: "value", EMPTY: "", PORT: "8080" };
const lookup = (k: string) => vars[k];

describe("substitute", () => {
  it.each([
    ["$SET", "value"],
    ["${SET}", "value"],
    ["pre-${SET}-post", "pre-value-post"],
    ["${UNSET}", ""],
    ["$UNSET", ""],
    ["${UNSET:-default}", "default"],
    ["${EMPTY:-default}", "default"],
    ["${SET:-default}", "value"],
    ["${UNSET-default}", "default"],
    ["${EMPTY-default}", ""],
    ["${SET?must be set}", "value"],
    ["${EMPTY?must be set}", ""],
    ["${SET:?must be set}", "value"],
    ["$$SET", "$SET"],
    ["$${SET}", "${SET}"],
    ["cost: $$5", "cost: $5"],
    ["${UNSET:-${SET}}", "${SET}"],
    // Docker reads an unbraced name up to the next `}`: `$SET-x y` takes `-x y` as a default.
    ["$SET-x y", "value"],
    ["$UNSET-x y", "x y"],
    // Docker tries `-` defaults before `:?`/`?` errors, so a message with `-` is a default.
    ["${UNSET:?needs-value}", "value"],
  ])("%s → %j", (template, result) => {
    expect(substitute(template, lookup)).toBe(result);
  });

  it.each([
    ["${UNSET:?must be set}", "required variable UNSET is missing a value: must be set"],
    ["${EMPTY:?must be set}", "required variable EMPTY is missing a value: must be set"],
    ["${UNSET?gone}", "required variable UNSET is missing a value: gone"],
    ["$1", "Invalid template"],
    ["price $", "Invalid template"],
    ["${}", "Invalid template"],
    ["${UNSET:?first} ${SET}", "required variable UNSET is missing a value: first"],
  ])("%s fails: %s", (template, message) => {
    expect(() => substitute(template, lookup)).toThrow(message);
  });

  it("notes variables that are not set", () => {
    const notes = { unset: [] as string[] };
    substitute("$A ${B} ${C:-x} $SET", lookup, notes);
    expect(notes.unset).toEqual(["A", "B"]);
  });
});

describe("interpolateConfig", () => {
  it("casts typed fields only when a variable was substituted", () => {
    const dict = parseComposeYaml(`
services:
  web:
    image: x
    read_only: \${RO}
    ports:
      - target: \${PORT}
        published: "80"
    deploy:
      replicas: \${N}
      update_config:
        max_failure_ratio: \${R}
networks:
  n:
    external: \${EXT}
`);
    const out = interpolateConfig(
      dict,
      (k) => ({ RO: "yes", PORT: "8080", N: "3", R: "0.5", EXT: "off" })[k],
    );
    expect(out.config).toMatchObject({
      services: {
        web: {
          read_only: true,
          ports: [{ target: 8080, published: "80" }],
          deploy: { replicas: 3, update_config: { max_failure_ratio: 0.5 } },
        },
      },
      networks: { n: { external: false } },
    });
  });

  it.each([
    [
      "services:\n  web:\n    image: $1",
      "services.web.image",
      "invalid interpolation format for services.web.image",
    ],
    [
      "services:\n  web:\n    environment: ['A=${X:?set X}']",
      "services.web.environment.[]",
      "required variable X is missing a value: set X",
    ],
    [
      "services:\n  web:\n    deploy: {replicas: '${N}'}",
      "services.web.deploy.replicas",
      "failed to cast to expected type",
    ],
    ["services:\n  web:\n    tty: '${N}'", "services.web.tty", "invalid boolean: many"],
  ])("%j fails at %s", (yaml, path, message) => {
    try {
      interpolateConfig(parseComposeYaml(yaml), (k) => (k === "N" ? "many" : undefined));
      expect.unreachable();
    } catch (e) {
      expect((e as { path: string }).path).toBe(path);
      expect((e as Error).message).toContain(message);
    }
  });

  it("records unset variables with the first path using them", () => {
    const out = interpolateConfig(
      parseComposeYaml("services:\n  a:\n    image: ${IMG}\n    user: $IMG"),
      () => undefined,
    );
    expect(out.unset).toEqual([{ name: "IMG", path: "services.a.image" }]);
  });
});
