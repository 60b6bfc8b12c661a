import { describe, expect, it } from "vitest";
import { formatPath, validateCompose } from "./compose-schema";
import { parseComposeYaml } from "./compose-yaml";

const errors = (yaml: string) =>
  validateCompose(parseComposeYaml(yaml)).map((v) => `${formatPath(v.path)}: ${v.message}`);

describe("validateCompose", () => {
  it("accepts a broad valid file", () => {
    expect(
      errors(`
version: "3.8"
x-anchor: {a: 1}
services:
  web.api_1:
    image: nginx
    command: ["a"]
    environment: {A: 1, B: null, C: "x"}
    ports: ["80:80", 443, {target: 90, published: 9000, protocol: udp, mode: host}]
    volumes: ["a:/a", {type: tmpfs, target: /t, tmpfs: {size: 10}}]
    deploy: {replicas: 2, update_config: {order: start-first}}
    healthcheck: {test: "true", interval: 10s}
    x-custom: anything
networks: {n: null, m: {external: {name: ext}}}
volumes: {v: null}
secrets: {s: {file: ./s}}
configs: {c: {external: true}}
`),
    ).toEqual([]);
  });

  it.each([
    ["services:\n  web:\n    deploy: {replicas: '3'}", "services.web.deploy.replicas: must be an integer"],
    ["services:\n  web:\n    deploy: {replicas: 1.5}", "services.web.deploy.replicas: must be an integer"],
    ["services:\n  web:\n    imagee: x", "services.web.imagee: unknown key (not allowed here)"],
    [
      "services:\n  web:\n    environment: {A: true}",
      "services.web.environment.A: must be a string, a number or null",
    ],
    ["services:\n  web:\n    environment: 5", "services.web.environment: must be a mapping or a list"],
    ["services:\n  web:\n    command: [1]", "services.web.command[0]: must be a string"],
    ["services:\n  web:\n    stop_grace_period: 10", "services.web.stop_grace_period: must be a string"],
    [
      "services:\n  web:\n    stop_grace_period: ten",
      'services.web.stop_grace_period: must be a duration like "10s" or "1m30s", not "ten"',
    ],
    [
      "services:\n  web:\n    deploy: {update_config: {order: random}}",
      'services.web.deploy.update_config.order: must be one of "start-first", "stop-first"',
    ],
    ["services:\n  web:\n    ports: ['80', '80']", "services.web.ports[1]: duplicates item 0"],
    ["services:\n  web:\n    volumes: [{target: /x}]", "services.web.volumes[0].type: is required"],
    [
      "services:\n  web:\n    volumes: [{type: tmpfs, target: /t, tmpfs: {size: -1}}]",
      "services.web.volumes[0].tmpfs.size: must be at least 0",
    ],
    [
      "services:\n  'my web':\n    image: x",
      'services.my web: invalid name "my web" (must match ^[a-zA-Z0-9._-]+$)',
    ],
    [
      "name: myproject\nservices: {}",
      "name: not supported by docker stack deploy: the project name is the stack namespace here; remove it",
    ],
    [
      "services:\n  ml:\n    image: x\n    deploy: {resources: {reservations: {devices: [{capabilities: [gpu]}]}}}",
      "services.ml.deploy.resources.reservations.devices: not supported by docker stack deploy: Swarm cannot reserve devices; use generic_resources or a placement constraint like node.labels.gpu == true",
    ],
    [
      "services:\n  a:\n    image: x\n    profiles: [debug]",
      "services.a.profiles: not supported by docker stack deploy: Swarm deploys every service; remove it",
    ],
    ["version: 3.8\nservices: {}", "version: must be a string"],
    ["services:\n  web:\n    ulimits: {nofile: {soft: 1}}", "services.web.ulimits.nofile.hard: is required"],
    ["services:\n  web: null", "services.web: must be a mapping"],
    [
      "networks:\n  n: {external: {name: x, foo: 1}}",
      "networks.n.external.foo: unknown key (not allowed here)",
    ],
  ])("%j", (yaml, error) => {
    expect(errors(yaml)).toContain(error);
  });
});
