// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are compose interpolation syntax
import { PhoenixError } from "@phoenix/errors";
import { describe, expect, it } from "vitest";
import { type LoadOptions, loadCompose } from "./compose-loader";
import { parseComposeYaml } from "./compose-yaml";

const files: Record<string, string> = {
  "/stack/app.env": "FROMFILE=1\nOVER=file\nEMPTY=\nBARE\n",
  "/stack/bad.env": "MY VAR=1\n",
};
const opts = (vars: Record<string, string> = {}): LoadOptions => ({
  file: "docker-compose.yml",
  workingDir: "/stack",
  lookup: (k) => vars[k],
  readFile: (p) => {
    const text = files[p];
    if (text === undefined) throw new Error("no such file or directory");
    return new TextEncoder().encode(text);
  },
});
const load = (yaml: string, vars: Record<string, string> = {}) =>
  loadCompose(parseComposeYaml(yaml), opts(vars));

function failure(yaml: string, vars: Record<string, string> = {}): PhoenixError {
  try {
    load(yaml, vars);
  } catch (e) {
    if (e instanceof PhoenixError) return e;
    throw e;
  }
  throw new Error("expected a failure");
}

describe("loadCompose", () => {
  it("resolves environment like Docker: env_file, then environment, empty values from variables", () => {
    const { config } = load(
      `services:
  a:
    image: x
    env_file: app.env
    environment: [OVER=compose, NIL, FROMVAR, EMPTY=, "N=1"]`,
      { FROMVAR: "v", EMPTY: "filled", BARE: "b" },
    );
    expect(config.services[0]?.environment).toEqual({
      FROMFILE: "1",
      OVER: "compose",
      EMPTY: "filled",
      BARE: "b",
      NIL: null,
      FROMVAR: "v",
      N: "1",
    });
  });

  it("sorts services, resolves bind paths and ~, expands short syntaxes", () => {
    const { config } = load(
      `services:
  z: {image: x}
  a:
    image: x
    volumes: ["./data:/data:ro", "~/conf:/conf", "named:/n"]
    ports: ["8000-8001:80"]
volumes: {named: {}}`,
      { HOME: "/home/me" },
    );
    expect(config.services.map((s) => s.name)).toEqual(["a", "z"]);
    expect(config.services[0]?.volumes).toEqual([
      { type: "bind", source: "/stack/data", target: "/data", readOnly: true },
      { type: "bind", source: "/home/me/conf", target: "/conf" },
      { type: "volume", source: "named", target: "/n" },
    ]);
    expect(config.services[0]?.ports.map((p) => p.published)).toEqual([8000, 8001]);
  });

  it.each([
    ["build", "services:\n  a: {image: x, build: .}", "Ignoring unsupported options: build"],
    [
      "restart and links",
      "services:\n  a: {image: x, restart: always, links: [b]}",
      "Ignoring unsupported options: links, restart",
    ],
    [
      "container_name",
      "services:\n  a: {image: x, container_name: c}",
      "Ignoring deprecated options: container_name",
    ],
    [
      "unset variable",
      "services:\n  a: {image: '$IMG'}",
      "variable IMG is not set (used in services.a.image)",
    ],
    [
      "external.name",
      "version: '3.5'\nservices:\n  a: {image: x}\nnetworks:\n  n: {external: {name: m}}",
      "network n: network.external.name is deprecated in favor of network.name",
    ],
    ["host IP", "services:\n  a: {image: x, ports: ['127.0.0.1:80:80']}", "ignoring IP-address 127.0.0.1"],
    [
      "options Swarm drops",
      "services:\n  a: {image: x, oom_score_adj: 5, depends_on: [b], networks: {n: {ipv4_address: 10.0.0.2}}}\n  b: {image: x, tmpfs: /run}\nnetworks: {n: {}}",
      "Ignoring options Swarm does not use: depends_on, oom_score_adj, tmpfs, networks.*.ipv4_address/ipv6_address",
    ],
  ])("warns about %s", (_what, yaml, warning) => {
    expect(load(yaml).warnings.join("\n")).toContain(warning);
  });

  it("keeps quiet for a clean file", () => {
    expect(load("services:\n  a: {image: x}").warnings).toEqual([]);
  });

  it.each([
    ["version: '2.4'\nservices: {}", "version", "unsupported Compose file version: 2.4"],
    ["version: '3.14'\nservices: {}", "version", "unsupported Compose file version: 3.14"],
    ["services:\n  a: {image: x, extends: b}", "services.a.extends", "unsupported option: extends"],
    [
      "services:\n  a: {image: x, mem_limit: 1g}",
      "services.a.mem_limit",
      "Set resource limits using deploy.resources",
    ],
    ["services:\n  web:\n    deploy: {replicas: '3'}", "services.web.deploy.replicas", "must be an integer"],
    [
      "services:\n  a: {image: '${X:?needed}'}",
      "services.a.image",
      "required variable X is missing a value: needed",
    ],
    ["services:\n  a: {image: x, ports: ['80/xyz']}", "services.a.ports[0]", "invalid proto: xyz"],
    [
      "services:\n  a: {image: x, env_file: nope.env}",
      "services.a.env_file[0]",
      "cannot read /stack/nope.env",
    ],
    [
      "services:\n  a: {image: x, env_file: bad.env}",
      "services.a.env_file[0]",
      "variable 'MY VAR' contains whitespaces",
    ],
    [
      "services:\n  a: {image: x, command: 'echo \"x'}",
      "services.a.command",
      "EOF found when expecting closing quote",
    ],
    [
      "services:\n  a: {image: x, volumes: [{type: bind, target: /x}]}",
      "services.a.volumes[0]",
      "field Source must not be empty",
    ],
    [
      "services:\n  a: {image: x, deploy: {resources: {limits: {memory: lots}}}}",
      "services.a.deploy.resources.limits.memory",
      "invalid size: 'lots'",
    ],
    [
      "services:\n  a: {image: x, deploy: {replicas: -1}}",
      "services.a.deploy.replicas",
      "must not be negative",
    ],
    [
      "services: {}\nvolumes:\n  v: {external: true, driver: foo}",
      "volumes.v",
      'conflicting parameters "external" and "driver" specified',
    ],
    [
      "services: {}\nnetworks:\n  n: {name: a, external: {name: b}}",
      "networks.n",
      "network.external.name and network.name conflict",
    ],
    [
      "services: {}\nsecrets:\n  s: {file: ./s, driver: d}",
      "secrets.s",
      "secret.driver and secret.file conflict",
    ],
  ])("%j fails at %s", (yaml, path, message) => {
    const e = failure(yaml);
    expect(e.code).toBe("INVALID_COMPOSE");
    expect(e.place.path).toBe(path);
    expect(e.place.file).toBe("docker-compose.yml");
    expect(e.message).toContain(message);
    expect(e.message.startsWith(`${path}: `)).toBe(true);
  });

  it("reports every schema problem, the first in the message", () => {
    const e = failure("services:\n  a:\n    image: 1\n    tty: maybe\n    foo: 2");
    expect(e.message).toBe("services.a.image: must be a string (and 2 more)");
    expect(e.details.map((d) => d.place.path)).toEqual([
      "services.a.image",
      "services.a.tty",
      "services.a.foo",
    ]);
    expect(e.details).toHaveLength(3);
    expect(e.place.service).toBe("a");
  });
});
