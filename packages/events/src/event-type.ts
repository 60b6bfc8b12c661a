import { ErrorCode, PhoenixError } from "@phoenix/errors";
import type { Event, EventSchema, MessageInitShape } from "@phoenix/proto";

/**
 * The payload of an event: `Event["data"]` with created messages, or the same as plain data
 * (`{ case: "nodeJoined", value: { guest, nodeId, role } }`).
 */
export type EventPayload = Event["data"] | NonNullable<MessageInitShape<typeof EventSchema>["data"]>;

/** The default first token of every Phoenix subject. */
export const DEFAULT_SUBJECT_PREFIX = "phoenix";

/**
 * The event type of a payload, "<kind>.<action>": the first camelCase word of the
 * oneof case is the kind, the rest in snake_case the action
 * (nodeLabelsChanged → "node.labels_changed").
 */
export function eventType(data: EventPayload): string {
  const name = data.case;
  if (name === undefined) {
    throw new PhoenixError(ErrorCode.INVALID_ARGUMENT, "an event needs a payload (Event.data is empty)");
  }
  const [kind, ...rest] = name.split(/(?=[A-Z])/).map((w) => w.toLowerCase());
  if (!kind || rest.length === 0) {
    throw new PhoenixError(ErrorCode.INVALID_ARGUMENT, `event payload "${name}" has no <kind><Action> name`);
  }
  return `${kind}.${rest.join("_")}`;
}

/** The NATS subject of an event: `<prefix>.<cluster>.<kind>.<action>`. */
export function eventSubject(prefix: string, cluster: string, type: string): string {
  return `${prefix}.${cluster}.${type}`;
}

/** The wildcard subject that covers every event of a cluster: `<prefix>.<cluster>.>`. */
export function clusterSubjects(prefix: string, cluster: string): string {
  return `${prefix}.${cluster}.>`;
}

/** The default JetStream stream of a cluster: "PHOENIX_<CLUSTER>", upper-cased, other characters as "_". */
export function defaultStreamName(cluster: string): string {
  return `PHOENIX_${cluster.toUpperCase().replace(/[^A-Z0-9_-]/g, "_")}`;
}

const TOKEN = /^[A-Za-z0-9_-]+$/;

/**
 * Checks the parts of the subjects an event bus will use, so a cluster name such as
 * "home.lab" or "lab*" cannot spill into other subjects or wildcards.
 */
export function checkSubjectParts(prefix: string, cluster: string, streamName: string): void {
  const problems: PhoenixError[] = [];
  const bad = (what: string, value: string, why: string) =>
    problems.push(new PhoenixError(ErrorCode.INVALID_CONFIG, `${what} ${JSON.stringify(value)} ${why}`));
  if (!TOKEN.test(cluster)) {
    bad("cluster name", cluster, "cannot be a NATS subject token (letters, digits, '_' and '-' only)");
  }
  if (!prefix.split(".").every((t) => TOKEN.test(t))) {
    bad("subject prefix", prefix, "must be dot-separated tokens of letters, digits, '_' and '-'");
  }
  if (!TOKEN.test(streamName)) {
    bad("stream name", streamName, "must be letters, digits, '_' and '-' only");
  }
  if (problems.length === 1) throw problems[0];
  if (problems.length > 1) {
    throw new PhoenixError(
      ErrorCode.INVALID_CONFIG,
      `${problems.length} problems with the event bus options`,
      {
        details: problems,
      },
    );
  }
}
