import { ErrorCode, PhoenixError } from "@phoenix/errors";
import { type Event, EventCodec, timestampDate, timestampFromDate } from "@phoenix/proto";
import type { CommandContext } from "../context";

/** What --since means: a sequence number, or a point in time. */
export type Since = { afterSeq: bigint } | { sinceTime: Date } | Record<string, never>;

/** Parses --since: "120" (events from seq 120 on), "10m"/"2h"/"1d" ago, or an RFC 3339 time. */
export function parseSince(text: string | undefined, now = Date.now()): Since {
  if (text === undefined) return {};
  const t = text.trim();
  if (/^\d+$/.test(t)) {
    const seq = BigInt(t);
    // The API replays nothing for after_seq 0 alone: "from seq 1 on" is "from the beginning".
    return seq > 1n ? { afterSeq: seq - 1n } : { sinceTime: new Date(0) };
  }
  const rel = /^(\d+)(s|m|h|d)$/.exec(t);
  if (rel) {
    const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[rel[2] as "s" | "m" | "h" | "d"];
    return { sinceTime: new Date(now - Number(rel[1]) * unit) };
  }
  const d = new Date(t);
  if (/^\d{4}-\d{2}-\d{2}/.test(t) && !Number.isNaN(d.getTime())) return { sinceTime: d };
  throw new PhoenixError(
    ErrorCode.INVALID_ARGUMENT,
    `--since "${text}" is neither a sequence number, a duration like 10m, nor a time like 2026-11-22T10:00:00Z`,
  );
}

/** Whether a payload value says nothing: an empty string, list or map. Zero and false do say something. */
function says(value: unknown): boolean {
  if (value === "" || value === null || value === undefined) return false;
  if (Array.isArray(value)) return value.length > 0;
  return typeof value !== "object" || Object.keys(value).length > 0;
}

/**
 * One line for a person: time, seq, type, subject and the payload's facts. Numbers and flags are shown
 * at zero too (`dockerWrites=0` is a re-deploy that changed nothing); empty texts and lists are not.
 */
export function formatEvent(ev: Event): string {
  const time = ev.time ? timestampDate(ev.time).toISOString() : "-";
  const data = ev.data.value
    ? (EventCodec.toJson(ev, { alwaysEmitImplicit: true }) as { [k: string]: unknown })
    : {};
  const payload = ev.data.case ? (data[ev.data.case] as Record<string, unknown> | undefined) : undefined;
  const facts = payload
    ? Object.entries(payload)
        .filter(([k, v]) => k !== "guest" && says(v))
        .map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : String(v)}`)
        .join(" ")
    : "";
  return `${time}  #${ev.seq}  ${ev.type.padEnd(24)} ${ev.subject}${facts ? `  ${facts}` : ""}`;
}

/** `phoenix events [--follow] [--since <time|seq>] [--type prefix...]` */
export async function events(
  ctx: CommandContext,
  opts: { follow?: boolean; since?: string; type?: string[] },
): Promise<number> {
  const since = parseSince(opts.since);
  const req = {
    follow: Boolean(opts.follow),
    types: opts.type ?? [],
    ...("afterSeq" in since ? { afterSeq: since.afterSeq } : {}),
    ...("sinceTime" in since ? { sinceTime: timestampFromDate(since.sinceTime) } : {}),
  };
  // Without --since, replay everything the coordinator still holds.
  if (!("afterSeq" in since) && !("sinceTime" in since)) req.sinceTime = timestampFromDate(new Date(0));
  const stream = ctx.client().watchEvents(req, {
    signal: ctx.signal,
    ...(opts.follow ? {} : { timeoutMs: ctx.connection().timeoutMs }),
  });
  for await (const res of stream) {
    if (!res.event) continue;
    ctx.out.line(ctx.out.json ? JSON.stringify(EventCodec.toJson(res.event)) : formatEvent(res.event));
  }
  return 0;
}
