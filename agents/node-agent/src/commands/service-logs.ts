import type { IncomingMessage } from "node:http";
import { ErrorCode, PhoenixError } from "@phoenix/errors";
import {
  type MessageInitShape,
  type ServiceLogsCommand,
  type ServiceLogsResultSchema,
  timestampFromDate,
} from "@phoenix/proto";
import { dockerError } from "../docker";
import { createLogDemuxer, parseServiceLogLine, type RawLogLine } from "../log-demux";
import type { CommandContext } from "./context";
import { inspectService } from "./task-list";

/** How long before its deadline a following log stream ends, so the result still arrives in time. */
function endMargin(remainingMs: number): number {
  return Math.min(1_000, Math.max(0, remainingMs / 10));
}

/**
 * Streams a service's logs (manager only) as CommandProgress log lines, then answers with the
 * count. With follow it streams until shortly before the deadline, until the coordinator cancels it
 * (its caller left), or until the session closes.
 */
export async function serviceLogs(
  cmd: ServiceLogsCommand,
  ctx: CommandContext,
): Promise<MessageInitShape<typeof ServiceLogsResultSchema>> {
  const docker = await ctx.docker();
  const svc = await inspectService(docker, cmd.service, ctx.signal);
  const query: Record<string, unknown> = {
    stdout: true,
    stderr: true,
    timestamps: true,
    details: true,
    follow: cmd.follow,
  };
  if (cmd.tail > 0) query.tail = cmd.tail;
  if (cmd.since) query.since = `${cmd.since.seconds}.${String(cmd.since.nanos).padStart(9, "0")}`;

  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    docker.modem.dial(
      {
        path: `/services/${svc.ID}/logs?`,
        method: "GET",
        options: query,
        isStream: true,
        abortSignal: ctx.signal,
        statusCodes: {
          200: true,
          404: "no such service",
          500: "server error",
          503: "node is not part of a swarm",
        },
      },
      (err, data) =>
        err ? reject(dockerError(err, `service logs ${svc.Spec.Name}`)) : resolve(data as IncomingMessage),
    );
  });

  const raw = String(res.headers["content-type"] ?? "").includes("raw-stream");
  const demux = createLogDemuxer(raw);
  let lines = 0;
  let reachedEnd = false;
  const stop = () => res.destroy();
  ctx.signal.addEventListener("abort", stop, { once: true });
  let timer: NodeJS.Timeout | undefined;
  if (cmd.follow && ctx.deadline !== undefined) {
    const remaining = ctx.deadline - Date.now();
    timer = setTimeout(() => {
      reachedEnd = true;
      stop();
    }, remaining - endMargin(remaining));
  }
  const send = async (l: RawLogLine) => {
    const parsed = parseServiceLogLine(l.text);
    await ctx.progress({
      log: {
        taskId: parsed.taskId,
        stream: l.stream,
        text: parsed.text,
        time: parsed.time ? timestampFromDate(parsed.time) : undefined,
      },
    });
    lines++;
  };
  try {
    for await (const chunk of res) {
      for (const l of demux.push(chunk as Buffer)) await send(l);
    }
  } catch (err) {
    if (ctx.signal.aborted)
      throw ctx.signal.reason ?? new PhoenixError(ErrorCode.CANCELLED, "service logs cancelled");
    if (!reachedEnd) throw dockerError(err, `service logs ${svc.Spec.Name}`);
  } finally {
    clearTimeout(timer);
    ctx.signal.removeEventListener("abort", stop);
  }
  for (const l of demux.end()) await send(l);
  return { lines };
}
