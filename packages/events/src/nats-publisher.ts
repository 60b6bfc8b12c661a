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
}

const RECONNECT_WAIT_MS = 1000;
const PUBLISH_TIMEOUT_MS = 3000;
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5000;

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
  readonly #wake = new Wakeup();
  #nc: NatsConnection | undefined;
  #connected = false;
  /** Set on every reconnect: the server may be another one, or may have lost the stream. */
  #recheck = false;
  #closing = false;
  #run: Promise<void> | undefined;

  constructor(opts: NatsPublisherOptions) {
    this.#o = opts;
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
        await this.#wake.wait(RETRY_MAX_MS);
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
    while (!closed && !this.#closing) {
      if (!this.#connected) {
        await this.#wake.wait(RETRY_MAX_MS);
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
        await this.#wake.wait(backoff(failures));
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
        this.#wake.notify();
      } catch (err) {
        const dropped = this.#o.buffer.giveBack(ev);
        if (dropped > 0) this.#o.onDropped(dropped);
        failures++;
        mode = undefined;
        if (failures === 1) {
          log.warn(
            { err: (err as Error).message, waiting: this.#o.buffer.size },
            "NATS publish failed; retrying",
          );
        }
        if (this.#connected) await this.#wake.wait(backoff(failures));
      }
    }
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
    if (!info) {
      try {
        await jsm.streams.add({ name, subjects: [subject] });
        log.info({ stream: name, subject }, "created JetStream stream");
      } catch (err) {
        // Another coordinator may have created it meanwhile; that one is fine.
        await jsm.streams.info(name).catch(() => Promise.reject(err));
      }
    } else if (!info.config.subjects?.includes(subject)) {
      await jsm.streams.update(name, { subjects: [...(info.config.subjects ?? []), subject] });
      log.warn({ stream: name, subject }, "added the event subjects to the existing JetStream stream");
    } else {
      log.debug({ stream: name, messages: info.state.messages }, "using the existing JetStream stream");
    }
    return "jetstream";
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

function backoff(failures: number): number {
  return Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.min(failures - 1, 10));
}
