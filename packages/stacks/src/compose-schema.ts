import { type ComposeValue, isDict, YamlFloat, YamlTimestamp } from "./compose-yaml";
import { parseGoDuration } from "./go-units";

// The compose file format as `docker stack deploy` accepts it (file format 3.x up to 3.13, which
// Docker also uses for Compose Specification files without `version`), expressed as a small
// JSON-schema-like tree and checked by `validateCompose`.

type JsonType = "string" | "number" | "integer" | "boolean" | "null" | "object" | "array";

/** A node of the compose schema. */
export interface SchemaNode {
  type?: JsonType | JsonType[];
  properties?: Record<string, SchemaNode>;
  patternProperties?: [RegExp, SchemaNode][];
  /** false: keys outside `properties`/`patternProperties` are rejected. */
  closed?: boolean;
  items?: SchemaNode;
  uniqueItems?: boolean;
  oneOf?: SchemaNode[];
  enum?: string[];
  required?: string[];
  minimum?: number;
  duration?: boolean;
}

const str: SchemaNode = { type: "string" };
const int: SchemaNode = { type: "integer" };
const num: SchemaNode = { type: "number" };
const bool: SchemaNode = { type: "boolean" };
const duration: SchemaNode = { type: "string", duration: true };
const extensions: [RegExp, SchemaNode][] = [[/^x-/, {}]];
const NAME = /^[a-zA-Z0-9._-]+$/;

function obj(properties: Record<string, SchemaNode>, more: Partial<SchemaNode> = {}): SchemaNode {
  return { type: "object", properties, closed: true, ...more };
}

const listOfStrings: SchemaNode = { type: "array", items: str, uniqueItems: true };
const stringOrList: SchemaNode = { oneOf: [str, listOfStrings] };
const listOrDict: SchemaNode = {
  oneOf: [
    { type: "object", patternProperties: [[/.+/, { type: ["string", "number", "null"] }]], closed: true },
    { type: "array", items: str, uniqueItems: true },
  ],
};
const stringMap: SchemaNode = {
  type: "object",
  patternProperties: [[/^.+$/, { type: ["string", "number"] }]],
};
const command: SchemaNode = { oneOf: [str, { type: "array", items: str }] };
const fileReference: SchemaNode = {
  type: "array",
  items: {
    oneOf: [str, { type: "object", properties: { source: str, target: str, uid: str, gid: str, mode: num } }],
  },
};
const updateConfig = obj({
  parallelism: int,
  delay: duration,
  failure_action: str,
  monitor: duration,
  max_failure_ratio: num,
  order: { type: "string", enum: ["start-first", "stop-first"] },
});
const external: SchemaNode = { type: ["boolean", "object"], properties: { name: str } };

const deployment: SchemaNode = obj({
  mode: str,
  endpoint_mode: str,
  replicas: int,
  labels: listOrDict,
  rollback_config: updateConfig,
  update_config: updateConfig,
  resources: obj({
    limits: obj({ cpus: str, memory: str, pids: int }),
    reservations: obj({
      cpus: str,
      memory: str,
      generic_resources: {
        type: "array",
        items: obj({ discrete_resource_spec: obj({ kind: str, value: num }) }),
      },
    }),
  }),
  restart_policy: obj({ condition: str, delay: duration, max_attempts: int, window: duration }),
  placement: obj({
    constraints: { type: "array", items: str },
    preferences: { type: "array", items: obj({ spread: str }) },
    max_replicas_per_node: int,
  }),
});
deployment.type = ["object", "null"];

const service: SchemaNode = obj(
  {
    deploy: deployment,
    build: {
      oneOf: [
        str,
        {
          type: "object",
          properties: {
            context: str,
            dockerfile: str,
            args: listOrDict,
            labels: listOrDict,
            cache_from: listOfStrings,
            network: str,
            target: str,
            shm_size: { type: ["integer", "string"] },
            extra_hosts: listOrDict,
          },
        },
      ],
    },
    cap_add: listOfStrings,
    cap_drop: listOfStrings,
    cgroupns_mode: str,
    cgroup_parent: str,
    command,
    configs: fileReference,
    container_name: str,
    credential_spec: obj({ config: str, file: str, registry: str }),
    depends_on: listOfStrings,
    devices: listOfStrings,
    dns: stringOrList,
    dns_search: stringOrList,
    domainname: str,
    entrypoint: command,
    env_file: stringOrList,
    environment: listOrDict,
    expose: { type: "array", items: { type: ["string", "number"] }, uniqueItems: true },
    external_links: listOfStrings,
    extra_hosts: listOrDict,
    group_add: { type: "array", items: { type: ["string", "number"] }, uniqueItems: true },
    healthcheck: obj({
      disable: bool,
      interval: duration,
      retries: num,
      test: command,
      timeout: duration,
      start_period: duration,
      start_interval: duration,
    }),
    hostname: str,
    image: str,
    init: bool,
    ipc: str,
    isolation: str,
    labels: listOrDict,
    links: listOfStrings,
    logging: obj({
      driver: str,
      options: { type: "object", patternProperties: [[/^.+$/, { type: ["string", "number", "null"] }]] },
    }),
    mac_address: str,
    network_mode: str,
    networks: {
      oneOf: [
        listOfStrings,
        {
          type: "object",
          patternProperties: [
            [
              NAME,
              {
                oneOf: [
                  obj({
                    aliases: listOfStrings,
                    driver_opts: stringMap,
                    ipv4_address: str,
                    ipv6_address: str,
                  }),
                  { type: "null" },
                ],
              },
            ],
          ],
          closed: true,
        },
      ],
    },
    pid: { type: ["string", "null"] },
    ports: {
      type: "array",
      items: {
        oneOf: [
          { type: "number" },
          { type: "string" },
          obj({ mode: str, target: int, published: int, protocol: str }),
        ],
      },
      uniqueItems: true,
    },
    privileged: bool,
    read_only: bool,
    restart: str,
    security_opt: listOfStrings,
    shm_size: { type: ["number", "string"] },
    secrets: fileReference,
    sysctls: listOrDict,
    stdin_open: bool,
    stop_grace_period: duration,
    stop_signal: str,
    tmpfs: stringOrList,
    tty: bool,
    ulimits: {
      type: "object",
      patternProperties: [
        [/^[a-z]+$/, { oneOf: [int, obj({ hard: int, soft: int }, { required: ["soft", "hard"] })] }],
      ],
    },
    oom_score_adj: int,
    user: str,
    userns_mode: str,
    volumes: {
      type: "array",
      items: {
        oneOf: [
          str,
          obj(
            {
              type: str,
              source: str,
              target: str,
              read_only: bool,
              consistency: str,
              bind: { type: "object", properties: { propagation: str } },
              volume: { type: "object", properties: { nocopy: bool } },
              tmpfs: { type: "object", properties: { size: { type: "integer", minimum: 0 } } },
            },
            { required: ["type"] },
          ),
        ],
        uniqueItems: true,
      },
    },
    working_dir: str,
  },
  { patternProperties: extensions },
);

const network: SchemaNode = obj(
  {
    name: str,
    driver: str,
    driver_opts: stringMap,
    ipam: obj({ driver: str, config: { type: "array", items: obj({ subnet: str }) } }),
    external: { ...external, closed: true },
    internal: bool,
    attachable: bool,
    labels: listOrDict,
  },
  { type: ["object", "null"], patternProperties: extensions },
);

const volume: SchemaNode = obj(
  {
    name: str,
    driver: str,
    driver_opts: stringMap,
    external: { ...external, closed: true },
    labels: listOrDict,
    "x-cluster-spec": { type: "object" },
  },
  { type: ["object", "null"], patternProperties: extensions },
);

const secret: SchemaNode = obj(
  {
    name: str,
    file: str,
    external,
    labels: listOrDict,
    driver: str,
    driver_opts: stringMap,
    template_driver: str,
  },
  { patternProperties: extensions },
);

const config: SchemaNode = obj(
  { name: str, file: str, external, labels: listOrDict, template_driver: str },
  { patternProperties: extensions },
);

/** The whole compose file (format 3.13). */
export const COMPOSE_SCHEMA: SchemaNode = obj(
  {
    version: str,
    services: { type: "object", patternProperties: [[NAME, service]], closed: true },
    networks: { type: "object", patternProperties: [[NAME, network]] },
    volumes: { type: "object", patternProperties: [[NAME, volume]], closed: true },
    secrets: { type: "object", patternProperties: [[NAME, secret]], closed: true },
    configs: { type: "object", patternProperties: [[NAME, config]], closed: true },
  },
  { patternProperties: extensions },
);

/** One schema violation: the key path (`["services","web","deploy","replicas"]`) and why. */
export interface SchemaViolation {
  path: (string | number)[];
  message: string;
}

/** Formats a key path as `services.web.ports[0].target`. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else out += out === "" ? p : `.${p}`;
  }
  return out;
}

function typeOf(v: ComposeValue): JsonType[] {
  if (v === null) return ["null"];
  if (typeof v === "string" || v instanceof YamlTimestamp) return ["string"];
  if (typeof v === "boolean") return ["boolean"];
  if (typeof v === "number") return Number.isInteger(v) ? ["integer", "number"] : ["number"];
  if (v instanceof YamlFloat) return Number.isInteger(v.value) ? ["integer", "number"] : ["number"];
  if (Array.isArray(v)) return ["array"];
  return ["object"];
}

const TYPE_WORDS: Record<JsonType, string> = {
  string: "a string",
  number: "a number",
  integer: "an integer",
  boolean: "a boolean",
  null: "null",
  object: "a mapping",
  array: "a list",
};

function describeTypes(types: JsonType[]): string {
  const words = types.map((t) => TYPE_WORDS[t]);
  if (words.length === 1) return words[0] as string;
  return `${words.slice(0, -1).join(", ")} or ${words[words.length - 1]}`;
}

function declaredTypes(node: SchemaNode): JsonType[] {
  if (node.type) return Array.isArray(node.type) ? node.type : [node.type];
  if (node.oneOf) return [...new Set(node.oneOf.flatMap(declaredTypes))];
  return [];
}

function sameValue(a: ComposeValue, b: ComposeValue): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

// Compose Specification keys that `docker stack deploy` (file format 3.x) rejects, with what to
// do instead. Paths use `*` for a service name.
const UNSUPPORTED_HINTS: Record<string, string> = {
  name: "the project name is the stack namespace here; remove it",
  include: "`docker stack deploy` reads one file; merge the included files",
  "services.*.profiles": "Swarm deploys every service; remove it",
  "services.*.pull_policy": "Swarm pulls on each node as needed; remove it",
  "services.*.platform": "use a placement constraint such as node.platform.arch == x86_64",
  "services.*.develop": "remove it (a `docker compose watch` setting)",
  "services.*.scale": "use deploy.replicas",
  "services.*.cpus": "use deploy.resources.limits.cpus",
  "services.*.mem_reservation": "use deploy.resources.reservations.memory",
  "services.*.gpus":
    "Swarm cannot reserve devices; use deploy.resources.reservations.generic_resources or a placement constraint like node.labels.gpu == true",
  "services.*.deploy.resources.reservations.devices":
    "Swarm cannot reserve devices; use generic_resources or a placement constraint like node.labels.gpu == true",
};

function unknownKeyMessage(path: (string | number)[]): string {
  const key = path.map((p, i) => (i === 1 && path[0] === "services" ? "*" : String(p))).join(".");
  const hint = UNSUPPORTED_HINTS[key];
  return hint ? `not supported by docker stack deploy: ${hint}` : "unknown key (not allowed here)";
}

/** Checks `value` against `node`; returns every violation found (empty when valid). */
export function validateNode(
  value: ComposeValue,
  node: SchemaNode,
  path: (string | number)[] = [],
): SchemaViolation[] {
  if (node.oneOf) {
    const results = node.oneOf.map((branch) => validateNode(value, branch, path));
    const passing = results.filter((r) => r.length === 0).length;
    if (passing === 1) return [];
    if (passing > 1) return [{ path, message: "matches more than one allowed form" }];
    const actual = typeOf(value);
    const sameType = node.oneOf.findIndex((b) => declaredTypes(b).some((t) => actual.includes(t)));
    if (sameType >= 0) return results[sameType] as SchemaViolation[];
    return [{ path, message: `must be ${describeTypes(declaredTypes(node))}` }];
  }
  if (node.type) {
    const allowed = Array.isArray(node.type) ? node.type : [node.type];
    const actual = typeOf(value);
    if (!allowed.some((t) => actual.includes(t))) {
      return [{ path, message: `must be ${describeTypes(allowed)}` }];
    }
  }
  const out: SchemaViolation[] = [];
  if (typeof value === "string") {
    if (node.enum && !node.enum.includes(value)) {
      out.push({ path, message: `must be one of ${node.enum.map((e) => JSON.stringify(e)).join(", ")}` });
    }
    if (node.duration && parseGoDuration(value) === undefined) {
      out.push({ path, message: `must be a duration like "10s" or "1m30s", not ${JSON.stringify(value)}` });
    }
  }
  if (node.minimum !== undefined && typeof value === "number" && value < node.minimum) {
    out.push({ path, message: `must be at least ${node.minimum}` });
  }
  if (Array.isArray(value)) {
    const items = node.items;
    if (items) {
      value.forEach((item, i) => {
        out.push(...validateNode(item, items, [...path, i]));
      });
    }
    if (node.uniqueItems) {
      value.forEach((item, i) => {
        const first = value.findIndex((other) => sameValue(other, item));
        if (first < i) out.push({ path: [...path, i], message: `duplicates item ${first}` });
      });
    }
  }
  if (isDict(value)) {
    for (const req of node.required ?? []) {
      if (!(req in value)) out.push({ path: [...path, req], message: "is required" });
    }
    for (const [key, v] of Object.entries(value)) {
      const prop = node.properties?.[key];
      if (prop) {
        out.push(...validateNode(v, prop, [...path, key]));
        continue;
      }
      const pattern = node.patternProperties?.find(([re]) => re.test(key));
      if (pattern) {
        out.push(...validateNode(v, pattern[1], [...path, key]));
        continue;
      }
      if (node.closed) {
        const namePattern = node.patternProperties?.find(([re]) => re !== extensions[0]?.[0])?.[0];
        out.push({
          path: [...path, key],
          message: namePattern
            ? `invalid name ${JSON.stringify(key)} (must match ${namePattern.source})`
            : unknownKeyMessage([...path, key]),
        });
      }
    }
  }
  return out;
}

/** Validates a whole (interpolated) compose file. */
export function validateCompose(config: ComposeValue): SchemaViolation[] {
  return validateNode(config, COMPOSE_SCHEMA);
}
