import { type EventJson, subscribeEvents } from "@phoenix/events";

/** Every event a test's own NATS subscriber received, in order, with waits over them. */
export interface EventLog {
  readonly events: readonly EventJson[];
  /** Resolves once the subscription is registered at the server. */
  readonly ready: Promise<void>;
  /** Position to look from: the events after it are those that arrive later. */
  mark(): number;
  /** Events of a type (e.g. "agent.offline") received after a mark. */
  after(mark: number, type?: string): EventJson[];
  /** Waits for an event after a mark that passes `match`, failing after `timeoutMs`. */
  waitFor(
    mark: number,
    type: string,
    match?: (e: EventJson) => boolean,
    timeoutMs?: number,
  ): Promise<EventJson>;
  close(): Promise<void>;
}

/** Subscribes to `subject` (plain NATS, like `nats sub`) and keeps what arrives. */
export function collectEvents(natsUrl: string, subject: string): EventLog {
  const sub = subscribeEvents(natsUrl, subject);
  const events: EventJson[] = [];
  void (async () => {
    for await (const e of sub) events.push(e);
  })().catch(() => {});
  const after = (mark: number, type?: string) =>
    events.slice(mark).filter((e) => type === undefined || e.type === type);
  return {
    events,
    ready: sub.ready,
    mark: () => events.length,
    after,
    async waitFor(mark, type, match = () => true, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = after(mark, type).find(match);
        if (found) return found;
        if (Date.now() > deadline) {
          const seen = after(mark).map((e) => `${e.type} ${e.subject}`);
          throw new Error(
            `no ${type} event within ${timeoutMs} ms; after the mark came: ${seen.join(", ") || "none"}`,
          );
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    close: () => sub.close(),
  };
}
