import { ErrorCode, PhoenixError } from "@phoenix/errors";
import type { MessageInitShape, NodeUpdateCommand, NodeUpdateResultSchema } from "@phoenix/proto";
import { availabilityWord, roleWord, toSwarmNode } from "../convert";
import { dockerCall, dockerError } from "../docker";
import type { EngineNode, EngineNodeSpec } from "../engine-types";
import type { CommandContext } from "./context";

type Change = Pick<NodeUpdateCommand, "labelsAdd" | "labelsRemove" | "role" | "availability">;

/** The node spec after `change`, or undefined when the node already matches (nothing to write). */
export function nextNodeSpec(spec: EngineNodeSpec, change: Change): EngineNodeSpec | undefined {
  const labels: Record<string, string> = { ...(spec.Labels ?? {}) };
  for (const [k, v] of Object.entries(change.labelsAdd)) labels[k] = v;
  for (const k of change.labelsRemove) delete labels[k];
  const role = roleWord(change.role) ?? spec.Role;
  const availability = availabilityWord(change.availability) ?? spec.Availability;
  const before = spec.Labels ?? {};
  const sameLabels =
    Object.keys(labels).length === Object.keys(before).length &&
    Object.entries(labels).every(([k, v]) => before[k] === v);
  if (sameLabels && role === spec.Role && availability === spec.Availability) return undefined;
  return { ...spec, Labels: labels, Role: role, Availability: availability };
}

/** Checks a node update for contradictions before anything is read or written. */
export function validateNodeUpdate(cmd: NodeUpdateCommand): void {
  if (!cmd.nodeId) throw new PhoenixError(ErrorCode.INVALID_ARGUMENT, "node_id is empty");
  for (const k of [...Object.keys(cmd.labelsAdd), ...cmd.labelsRemove]) {
    if (!k.trim()) throw new PhoenixError(ErrorCode.INVALID_ARGUMENT, "a label key is empty");
  }
  const both = cmd.labelsRemove.filter((k) => k in cmd.labelsAdd);
  if (both.length > 0) {
    throw new PhoenixError(ErrorCode.INVALID_ARGUMENT, `labels both added and removed: ${both.join(", ")}`);
  }
}

const ATTEMPTS = 3;

/**
 * `docker node update` on a manager: computes the diff and writes only when labels, role or
 * availability differ (changed=false otherwise). A concurrent update (version conflict) is retried.
 */
export async function nodeUpdate(
  cmd: NodeUpdateCommand,
  ctx: CommandContext,
): Promise<MessageInitShape<typeof NodeUpdateResultSchema>> {
  validateNodeUpdate(cmd);
  const docker = await ctx.docker();
  const node = docker.getNode(cmd.nodeId);
  const inspect = () =>
    dockerCall<EngineNode>(`node inspect ${cmd.nodeId}`, () => node.inspect({ abortSignal: ctx.signal }));
  for (let attempt = 1; ; attempt++) {
    const current = await inspect();
    const spec = nextNodeSpec(current.Spec, cmd);
    if (!spec) return { changed: false, node: toSwarmNode(current) };
    try {
      await node.update({ _query: { version: current.Version.Index }, _body: spec, abortSignal: ctx.signal });
      break;
    } catch (err) {
      const e = dockerError(err, `node update ${cmd.nodeId}`);
      if (attempt < ATTEMPTS && /out of sequence/i.test(e.message)) continue;
      throw e;
    }
  }
  return { changed: true, node: toSwarmNode(await inspect()) };
}
