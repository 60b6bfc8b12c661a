import { ErrorCode, PhoenixError } from "@phoenix/errors";
import {
  ListServicesResponseCodec,
  ListTasksResponseCodec,
  ScaleServiceResponseCodec,
  timestampDate,
} from "@phoenix/proto";
import type { CommandContext } from "../context";
import { formatAge } from "../output";

/** Parses `name=replicas` arguments of `services scale`. */
export function parseScale(args: string[]): { service: string; replicas: number }[] {
  if (args.length === 0)
    throw new PhoenixError(ErrorCode.INVALID_ARGUMENT, "give at least one SERVICE=REPLICAS");
  return args.map((arg) => {
    const m = /^([^=\s]+)=(\d+)$/.exec(arg);
    if (!m) {
      throw new PhoenixError(
        ErrorCode.INVALID_ARGUMENT,
        `"${arg}" is not SERVICE=REPLICAS (example: dev1_app_web=3)`,
      );
    }
    const replicas = Number(m[2]);
    if (replicas > 10_000)
      throw new PhoenixError(ErrorCode.INVALID_ARGUMENT, `"${arg}": at most 10000 replicas`);
    return { service: m[1]!, replicas };
  });
}

/** `phoenix services ls` */
export async function list(ctx: CommandContext, opts: { namespace?: string }): Promise<number> {
  const { out } = ctx;
  const res = await ctx
    .client()
    .listServices({ namespace: opts.namespace ?? "" }, { timeoutMs: ctx.connection().timeoutMs });
  if (out.json) {
    out.printJson(ListServicesResponseCodec.toJson(res));
    return 0;
  }
  if (res.services.length === 0) {
    out.line("No services.");
    return 0;
  }
  out.table(
    ["ID", "NAME", "MODE", "REPLICAS", "IMAGE", "PORTS"],
    res.services.map((s) => [
      s.id.slice(0, 12),
      s.name,
      s.mode,
      s.running === s.desired ? `${s.running}/${s.desired}` : out.yellow(`${s.running}/${s.desired}`),
      s.image,
      s.ports.join(",") || "-",
    ]),
  );
  return 0;
}

/** `phoenix services ps <service>` */
export async function ps(ctx: CommandContext, service: string): Promise<number> {
  const { out } = ctx;
  const res = await ctx.client().listTasks({ service }, { timeoutMs: ctx.connection().timeoutMs });
  if (out.json) {
    out.printJson(ListTasksResponseCodec.toJson(res));
    return 0;
  }
  out.table(
    ["ID", "NAME", "NODE", "DESIRED", "CURRENT", "UPDATED", "ERROR"],
    res.tasks.map((t) => [
      t.id.slice(0, 12),
      t.slot ? `${t.service}.${t.slot}` : t.service,
      t.nodeHostname || t.nodeId.slice(0, 12) || "-",
      t.desiredState,
      t.state === "running"
        ? out.green(t.state)
        : t.state === "failed" || t.state === "rejected"
          ? out.red(t.state)
          : t.state,
      formatAge(t.updatedAt ? timestampDate(t.updatedAt) : undefined),
      t.error || "-",
    ]),
  );
  return 0;
}

/** `phoenix services logs <service> [--follow] [--tail N]` */
export async function logs(
  ctx: CommandContext,
  service: string,
  opts: { follow?: boolean; tail?: string },
): Promise<number> {
  const tail = opts.tail === undefined ? 0 : Number(opts.tail);
  if (!Number.isInteger(tail) || tail < 0) {
    throw new PhoenixError(ErrorCode.INVALID_ARGUMENT, `--tail must be a whole number, not "${opts.tail}"`);
  }
  const stream = ctx
    .client()
    .serviceLogs(
      { service, follow: Boolean(opts.follow), tail },
      { signal: ctx.signal, ...(opts.follow ? {} : { timeoutMs: ctx.connection().timeoutMs }) },
    );
  for await (const res of stream) {
    const l = res.line;
    if (!l) continue;
    const prefix = ctx.out.dim(`${service}.${l.taskId.slice(0, 12)}`);
    (l.stream === "stderr" ? ctx.out.error : ctx.out.line)(`${prefix} | ${l.text}`);
  }
  return 0;
}

/** `phoenix services scale <service>=<n>...` */
export async function scale(ctx: CommandContext, args: string[]): Promise<number> {
  const wanted = parseScale(args);
  const results = [];
  for (const w of wanted) {
    const res = await ctx.client().scaleService(w, { timeoutMs: ctx.connection().timeoutMs });
    if (ctx.out.json) {
      results.push({
        service: w.service,
        ...(ScaleServiceResponseCodec.toJson(res, { alwaysEmitImplicit: true }) as object),
      });
    } else {
      ctx.out.line(`${w.service} scaled from ${res.previous} to ${res.replicas}`);
      if (res.note) ctx.out.line(ctx.out.dim(res.note));
    }
  }
  if (ctx.out.json) ctx.out.printJson(results);
  return 0;
}
