import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { type Event, EventSchema, toJsonString } from "@phoenix/proto";
import type { Logger } from "pino";
import type { PublishBuffer } from "./publish-buffer";
import { Wakeup } from "./wakeup";

/** How the publisher reaches NATS and where events go. */
export interface NatsPublisherOptions {
  url: string;
  /** Connection name shown by the server (`nats server report connections`). */
  name: string;
  streamName: string;
  /** The stream's subject filter, `<prefix>.<cluster>.>`. */
  streamSubjects: string;
  subjectOf: (ev: Event) => string;
  buffer: PublishBuffer<Event>;
  /** Called with the number of waiting events the bound dropped while one was being retried. */
  onDropped: (count: number) => void;
  logger: Logger;
  /**
   * Events recorded before this process started (from the history file) with seq > the given
   * one; when set, those the stream lacks are sent first after the first connect.
   */
  unsent?: (afterSeq: bigint) => Event[];
  /** Retry timing; the defaults suit a coordinator, tests shorten them. */
  retry?: Partial<RetryTiming>;
}

/** How the publisher waits and when it gives an event up. */
export interface RetryTiming {
  /** First wait after a failed publish, doubled per failure up to maxMs. */
  minMs: number;
  maxMs: number;
  /** Failed attempts, with the connection up, after which one event is given up. */
  maxRefusals: number;
}

const RECONNECT_WAIT_MS = 1000;
const PUBLISH_TIMEOUT_MS = 3000;
const DEFAULT_RETRY: RetryTiming = { minMs: 100, maxMs: 5000, maxRefusals: 8 };

/** The URL without user and password, for log lines. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/[^/@]*@/, "//");
}

/**
 * Sends the buffered events to NATS one at a time, in order, each confirmed by JetStream
 * (or by a flush when the server has no JetStream), with the event id as `Nats-Msg-Id`.
 * Connects and reconnects forever in the background; never throws to its caller.
 */
export class NatsPublisher {
  readonly #o: NatsPublisherOptions;
  readonly #retry: RetryTiming;
  readonly #wake = new Wakeup();
  #nc: NatsConnection | undefined;
  #connected = false;
  /** Set on every reconnect: the server may be another one, or may have lost the stream. */
  #recheck = false;
  #caughtUp = false;
  #closing = false;
  #run: Promise<void> | undefined;

  constructor(opts: NatsPublisherOptions) {
    this.#o = opts;
    this.#retry = { ...DEFAULT_RETRY, ...opts.retry };
  }

  /** True while a connection to a server is up. */
  get connected(): boolean {
    return this.#connected;
  }

  /** Starts connecting and publishing in the background. */
  start(): void {
    this.#run ??= this.#loop().catch((err) => {
      this.#o.logger.error({ err: (err as Error).message }, "NATS publisher stopped");
    });
  }

  /** Tells the publisher that events are waiting. */
  wake(): void {
    this.#wake.notify();
  }

  /** Waits up to flushMs for the buffer to empty while connected, then disconnects. */
  async close(flushMs: number): Promise<void> {
    const deadline = Date.now() + flushMs;
    while (this.#connected && this.#o.buffer.size > 0 && Date.now() < deadline) {
      await this.#wake.wait(Math.max(1, deadline - Date.now()));
    }
    this.#closing = true;
    this.#wake.notify();
    await this.#nc?.close().catch(() => {});
    await this.#run;
    if (this.#o.buffer.size > 0) {
      this.#o.logger.warn(
        { waiting: this.#o.buffer.size },
        "event bus closed with events not yet sent to NATS",
      );
    }
  }

  async #loop(): Promise<void> {
    const { connect } = await import("@nats-io/transport-node");
    const log = this.#o.logger;
    const url = redactUrl(this.#o.url);
    while (!this.#closing) {
      let nc: NatsConnection;
      try {
        nc = await connect({
          servers: this.#o.url,
          name: this.#o.name,
          maxReconnectAttempts: -1,
          waitOnFirstConnect: true,
          reconnectTimeWait: RECONNECT_WAIT_MS,
          // Lets close() end a first connect that is still waiting for a server.
          reconnectToServer: () => {
            if (this.#closing) throw new Error("event bus closed");
            return null;
          },
        });
      } catch (err) {
        if (this.#closing) return;
        log.error({ url, err: (err as Error).message }, "NATS connect failed; retrying");
        await this.#wake.wait(this.#retry.maxMs);
        continue;
      }
      this.#nc = nc;
      if (this.#closing) {
        await nc.close();
        return;
      }
      log.info({ url }, "connected to NATS");
      await this.#session(nc);
      this.#connected = false;
      if (!this.#closing) log.warn({ url }, "NATS connection closed; connecting again");
    }
  }

  /** Publishes while this connection lives. */
  async #session(nc: NatsConnection): Promise<void> {
    const log = this.#o.logger;
    this.#connected = true;
    let closed = false;
    void nc.closed().then(() => {
      closed = true;
      this.#connected = false;
      this.#wake.notify();
    });
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === "disconnect") {
          this.#connected = false;
          log.warn({ waiting: this.#o.buffer.size }, "NATS disconnected; buffering events");
        } else if (s.type === "reconnect") {
          this.#connected = true;
          this.#recheck = true;
          log.info({ waiting: this.#o.buffer.size }, "NATS reconnected");
        }
        this.#wake.notify();
      }
    })();

    const { jetstream, jetstreamManager } = await import("@nats-io/jetstream");
    const js = jetstream(nc, { timeout: PUBLISH_TIMEOUT_MS });
    let mode: "jetstream" | "core" | undefined;
    let failures = 0;
    let refused = 0;
    let refusedId = "";
    while (!closed && !this.#closing) {
      if (!this.#connected) {
        await this.#wake.wait(this.#retry.maxMs);
        continue;
      }
      if (this.#recheck) {
        this.#recheck = false;
        mode = undefined;
      }
      try {
        // Checked after every (re)connect and failure: the server may have lost the stream.
        mode ??= await this.#ensureStream(nc, jetstreamManager);
      } catch (err) {
        failures++;
        if (failures === 1)
          log.warn({ err: (err as Error).message }, "JetStream stream check failed; retrying");
        await this.#wake.wait(this.#backoff(failures));
        continue;
      }
      const ev = this.#o.buffer.take();
      if (!ev) {
        await this.#wake.wait();
        continue;
      }
      try {
        await this.#publish(nc, js, mode, ev);
        this.#o.buffer.done();
        if (failures > 0) log.info({ waiting: this.#o.buffer.size }, "publishing to NATS again");
        failures = 0;
        refused = 0;
        this.#wake.notify();
      } catch (err) {
        failures++;
        mode = undefined;
        // Failures while the connection stays up count against this event: one the server
        // keeps refusing must not hold back every event behind it.
        refused = this.#connected && refusedId === ev.id ? refused + 1 : this.#connected ? 1 : 0;
        refusedId = ev.id;
        if (refused >= this.#retry.maxRefusals) {
          this.#o.buffer.discard(); // counted in stats().dropped; logged here, not as a buffer overflow
          refused = 0;
          log.error(
            {
              seq: String(ev.seq),
              type: ev.type,
              attempts: this.#retry.maxRefusals,
              err: (err as Error).message,
            },
            "NATS kept refusing an event; dropped it",
          );
          continue;
        }
        const dropped = this.#o.buffer.giveBack(ev);
        if (dropped > 0) this.#o.onDropped(dropped);
        if (failures === 1) {
          log.warn(
            { err: (err as Error).message, waiting: this.#o.buffer.size },
            "NATS publish failed; retrying",
          );
        }
        if (this.#connected) await this.#wake.wait(this.#backoff(failures));
      }
    }
  }

  #backoff(failures: number): number {
    return Math.min(this.#retry.maxMs, this.#retry.minMs * 2 ** Math.min(failures - 1, 10));
  }

  async #ensureStream(
    nc: NatsConnection,
    manager: (nc: NatsConnection) => Promise<JetStreamManager>,
  ): Promise<"jetstream" | "core"> {
    const { streamName: name, streamSubjects: subject, logger: log } = this.#o;
    let jsm: JetStreamManager;
    try {
      jsm = await manager(nc);
    } catch (err) {
      const e = err as { name?: string; code?: number };
      if (e.name !== "JetStreamNotEnabled" && e.code !== 10039) throw err;
      log.warn("NATS server has no JetStream; publishing events without a stream");
      return "core";
    }
    const info = await jsm.streams.info(name).catch((err: { code?: number }) => {
      if (err.code === 10059) return undefined; // stream not found
      throw err;
    });
    try {
      if (!info) {
        await jsm.streams.add({ name, subjects: [subject] });
        log.info({ stream: name, subject }, "created JetStream stream");
      } else if (!info.config.subjects?.includes(subject)) {
        await jsm.streams.update(name, { subjects: [...(info.config.subjects ?? []), subject] });
        log.warn({ stream: name, subject }, "added the event subjects to the existing JetStream stream");
      } else {
        log.debug({ stream: name, messages: info.state.messages }, "using the existing JetStream stream");
      }
    } catch (err) {
      if ((err as { code?: number }).code === 10065) {
        // Subjects overlap: another stream already keeps these events; publishing stores them there.
        log.warn({ stream: name, subject }, "event subjects are kept by another JetStream stream; using it");
        return "jetstream";
      }
      // Another coordinator may have created the stream meanwhile; that one is fine.
      if (info || !(await jsm.streams.info(name).catch(() => undefined))) throw err;
    }
    await this.#catchUp(jsm);
    return "jetstream";
  }

  /**
   * Once per process: queues (before anything newer) the events recorded before this process
   * started that the stream does not have, e.g. those still buffered when the coordinator
   * stopped while NATS was down.
   */
  async #catchUp(jsm: JetStreamManager): Promise<void> {
    const { unsent, streamName, streamSubjects, logger: log } = this.#o;
    if (this.#caughtUp || !unsent) return;
    const last = await jsm.streams.getMessage(streamName, { last_by_subj: streamSubjects });
    this.#caughtUp = true;
    if (!last) return; // a new or emptied stream: no point to continue from
    let storedSeq: bigint;
    try {
      storedSeq = BigInt(last.json<{ seq?: string }>().seq ?? "0");
    } catch {
      return;
    }
    const missing = unsent(storedSeq);
    if (missing.length === 0) return;
    const dropped = this.#o.buffer.prepend(missing);
    if (dropped > 0) this.#o.onDropped(dropped);
    log.info(
      { count: missing.length, afterSeq: String(storedSeq) },
      "re-sending events recorded before the restart that the stream does not have",
    );
  }

  async #publish(
    nc: NatsConnection,
    js: JetStreamClient,
    mode: "jetstream" | "core",
    ev: Event,
  ): Promise<void> {
    const subject = this.#o.subjectOf(ev);
    const payload = toJsonString(EventSchema, ev);
    if (mode === "jetstream") {
      await js.publish(subject, payload, { msgID: ev.id, timeout: PUBLISH_TIMEOUT_MS });
      return;
    }
    const { headers } = await import("@nats-io/transport-node");
    const h = headers();
    h.set("Nats-Msg-Id", ev.id);
    nc.publish(subject, payload, { headers: h });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("NATS flush timed out")), PUBLISH_TIMEOUT_MS);
    });
    try {
      await Promise.race([nc.flush(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
