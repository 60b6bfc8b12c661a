import { randomUUID } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { ErrorCode, PhoenixError } from "@phoenix/errors";
import { create, type Event, EventSchema, timestampNow } from "@phoenix/proto";
import type { Logger } from "pino";
import { removeStaleTempFiles } from "./atomic-write";
import { EventHistory, matchesTypes } from "./event-history";
import {
  checkSubjectParts,
  clusterSubjects,
  DEFAULT_SUBJECT_PREFIX,
  defaultStreamName,
  type EventPayload,
  eventSubject,
  eventType,
} from "./event-type";
import { HistoryFileWriter, loadHistoryFile } from "./history-file";
import type { NatsPublisher } from "./nats-publisher";
import { PublishBuffer } from "./publish-buffer";
import { Wakeup } from "./wakeup";

/** How an event bus is set up; only cluster and logger are required. */
export interface EventBusOptions {
  /** Cluster name from the model. */
  cluster: string;
  /** NATS server URL; when unset, events are only served through watch(). */
  natsUrl?: string;
  /** First subject tokens, default "phoenix": subjects are `<prefix>.<cluster>.<kind>.<action>`. */
  subjectPrefix?: string;
  /** JetStream stream, default "PHOENIX_<CLUSTER>"; created if absent with subjects `<prefix>.<cluster>.>`. */
  streamName?: string;
  /** Events waiting while NATS is down, default 10,000; beyond it the oldest are dropped, logged and counted. */
  bufferLimit?: number;
  /** Events kept for replay through watch(), default 10,000. */
  historyLimit?: number;
  /**
   * When set, history is kept in this JSONL file, so seq and replay continue across restarts,
   * and events NATS had not taken before a restart are sent after it.
   */
  historyFile?: string;
  logger: Logger;
}

/** What watch() should replay and whether it should keep following. */
export interface WatchOptions {
  /** Replay kept events with seq greater than this (0n: every kept event). */
  afterSeq?: bigint;
  /** Replay kept events at or after this time (used when afterSeq is unset). */
  sinceTime?: Date;
  /** Keep yielding new events until the signal aborts or the bus closes. */
  follow?: boolean;
  /** Only events whose type starts with one of these, e.g. ["node.", "stack.deployed"]. */
  types?: string[];
  signal?: AbortSignal;
}

/** Counters of an event bus. */
export interface EventBusStats {
  natsConnected: boolean;
  /** Events waiting for NATS (including the one being sent). */
  buffered: number;
  /** Events the buffer bound dropped before NATS took them, since the start. */
  dropped: number;
  lastSeq: bigint;
}

/** The coordinator's event bus: records every state change, serves it to watchers and publishes it to NATS. */
export interface EventBus {
  /**
   * Records an event: assigns id (unique), seq (+1) and time (the payload may be created
   * messages or plain data); publishes to NATS in the
   * background (never blocks or throws when NATS is down). The type derives from the
   * payload case (nodeLabelsChanged → "node.labels_changed").
   */
  emit(data: EventPayload, subject: string): Event;
  /**
   * Replays events with seq > afterSeq (or time >= sinceTime; neither: nothing), then, with
   * follow, yields new ones until the signal aborts or the bus closes. A follower that falls
   * more than historyLimit events behind ends with a PhoenixError (UNAVAILABLE).
   */
  watch(opts: WatchOptions): AsyncIterable<Event>;
  stats(): EventBusStats;
  /** Ends following watchers (after what was already emitted), writes the history, gives NATS up to 2 s to take what waits, disconnects. */
  close(): Promise<void>;
}

const CLOSE_FLUSH_MS = 2000;

function positive(name: string, value: number | undefined, dflt: number): number {
  const v = value ?? dflt;
  if (!Number.isInteger(v) || v < 1) {
    throw new PhoenixError(ErrorCode.INVALID_CONFIG, `${name} must be a whole number ≥ 1, got ${v}`);
  }
  return v;
}

/**
 * Creates the event bus. Never rejects because NATS is down: it keeps connecting in the
 * background. Rejects on bad options or an unreadable history file.
 */
export async function createEventBus(opts: EventBusOptions): Promise<EventBus> {
  const cluster = opts.cluster;
  const prefix = opts.subjectPrefix ?? DEFAULT_SUBJECT_PREFIX;
  const streamName = opts.streamName ?? defaultStreamName(cluster);
  checkSubjectParts(prefix, cluster, streamName);
  const bufferLimit = positive("bufferLimit", opts.bufferLimit, 10_000);
  const historyLimit = positive("historyLimit", opts.historyLimit, 10_000);
  const log = opts.logger.child({ component: "events" });

  let history: EventHistory;
  let writer: HistoryFileWriter | undefined;
  if (opts.historyFile) {
    const file = opts.historyFile;
    await mkdir(dirname(file), { recursive: true, mode: 0o700 })
      .then(() => removeStaleTempFiles(file))
      .catch((err: Error) => {
        throw new PhoenixError(ErrorCode.INVALID_CONFIG, `cannot use the event history: ${err.message}`, {
          place: { file },
          cause: err,
        });
      });
    const loaded = await loadHistoryFile(opts.historyFile, historyLimit, log);
    history = new EventHistory(historyLimit, loaded.events);
    const kept = history;
    writer = new HistoryFileWriter(opts.historyFile, {
      limit: historyLimit,
      lines: loaded.lines,
      needsRewrite: loaded.needsRewrite,
      snapshot: () => kept.all(),
      logger: log,
    });
    log.info({ file: opts.historyFile, events: loaded.events.length }, "event history loaded");
  } else {
    history = new EventHistory(historyLimit);
  }
  let lastSeq = history.all().at(-1)?.seq ?? 0n;
  const loadedSeq = lastSeq;

  const subjectOf = (ev: Event) => eventSubject(prefix, cluster, ev.type);
  let buffer: PublishBuffer<Event> | undefined;
  let publisher: NatsPublisher | undefined;
  let droppedUnlogged = 0;
  const noteDropped = (count: number) => {
    if (droppedUnlogged === 0) setImmediate(logDropped);
    droppedUnlogged += count;
  };
  const logDropped = () => {
    if (droppedUnlogged === 0) return;
    log.warn(
      { dropped: droppedUnlogged, droppedTotal: buffer?.dropped ?? 0, bufferLimit },
      `NATS unavailable: dropped the ${droppedUnlogged} oldest waiting events (buffer full)`,
    );
    droppedUnlogged = 0;
  };
  if (opts.natsUrl) {
    const { NatsPublisher } = await import("./nats-publisher");
    buffer = new PublishBuffer<Event>(bufferLimit);
    publisher = new NatsPublisher({
      url: opts.natsUrl,
      name: `phoenix-coordinator ${cluster}`,
      streamName,
      streamSubjects: clusterSubjects(prefix, cluster),
      subjectOf,
      buffer,
      onDropped: noteDropped,
      logger: log,
      unsent:
        loadedSeq > 0n ? (after) => history.after(after).filter((ev) => ev.seq <= loadedSeq) : undefined,
    });
    publisher.start();
  }

  const newEvent = new Wakeup();
  let closed = false;

  const emit = (data: EventPayload, subject: string): Event => {
    const type = eventType(data);
    const ev = create(EventSchema, {
      id: randomUUID(),
      seq: ++lastSeq,
      time: timestampNow(),
      type,
      cluster,
      subject,
      data,
    });
    if (closed) {
      log.warn({ type, subject }, "event emitted after the event bus closed; not recorded");
      return ev;
    }
    history.push(ev);
    writer?.append(ev);
    if (buffer && publisher) {
      const dropped = buffer.push(ev);
      if (dropped > 0) noteDropped(dropped);
      publisher.wake();
    }
    newEvent.notify();
    return ev;
  };

  async function* follow(
    cursor: bigint,
    replay: Event[],
    startSeq: bigint,
    o: WatchOptions,
  ): AsyncGenerator<Event, void, undefined> {
    // Aborting stops at once; closing the bus first delivers what was emitted before it.
    const stopped = () => o.signal?.aborted === true;
    for (const ev of replay) {
      if (stopped()) return;
      if (matchesTypes(ev, o.types)) yield ev;
    }
    while (!stopped()) {
      let next = history.after(cursor);
      if (!o.follow) next = next.filter((ev) => ev.seq <= startSeq);
      if (next.length === 0) {
        if (!o.follow || closed) return;
        await newEvent.wait(undefined, o.signal);
        continue;
      }
      if (cursor >= startSeq && next[0]!.seq > cursor + 1n) {
        throw new PhoenixError(
          ErrorCode.UNAVAILABLE,
          `event watch fell more than ${historyLimit} events behind; events after seq ${cursor} are no longer kept (watch again with afterSeq)`,
        );
      }
      for (const ev of next) {
        if (stopped()) return;
        cursor = ev.seq;
        if (matchesTypes(ev, o.types)) yield ev;
      }
    }
  }

  return {
    emit,
    watch(o) {
      // The starting point is fixed now, not at the first next(): nothing emitted after this call is missed.
      const startSeq = lastSeq;
      if (o.afterSeq !== undefined) return follow(o.afterSeq, [], startSeq, o);
      const replay = o.sinceTime ? history.since(o.sinceTime).filter((ev) => ev.seq <= startSeq) : [];
      return follow(startSeq, replay, startSeq, o);
    },
    stats() {
      return {
        natsConnected: publisher?.connected ?? false,
        buffered: buffer?.size ?? 0,
        dropped: buffer?.dropped ?? 0,
        lastSeq,
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      newEvent.notify();
      await publisher?.close(CLOSE_FLUSH_MS);
      await writer?.flush();
      logDropped();
    },
  };
}
