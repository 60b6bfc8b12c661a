import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { ErrorCode, PhoenixError } from "@phoenix/errors";

/** An event as it travels on NATS: the protobuf JSON form of phoenix.v1.Event (seq is a string). */
export interface EventJson {
  id: string;
  seq: string;
  time: string;
  type: string;
  cluster: string;
  subject: string;
  /** The payload under its JSON name, e.g. `nodeLabelsChanged: { guest, nodeId, added, removed }`. */
  [payload: string]: unknown;
}

/** A live subscription: iterate it for events; `ready` resolves once the server has registered it. */
export interface EventSubscription extends AsyncIterable<EventJson> {
  readonly ready: Promise<void>;
  /** Ends the iteration and disconnects. */
  close(): Promise<void>;
}

/**
 * Subscribes to Phoenix events with a plain NATS core subscription (what `nats sub 'phoenix.>'`
 * does): only events published after `ready` resolves arrive.
 */
export function subscribeEvents(natsUrl: string, subject = "phoenix.>"): EventSubscription {
  let nc: NatsConnection | undefined;
  let sub: Subscription | undefined;
  const ready = (async () => {
    const { connect } = await import("@nats-io/transport-node");
    nc = await connect({ servers: natsUrl, name: "phoenix-events-subscriber" });
    sub = nc.subscribe(subject);
    await nc.flush();
  })();
  // The caller may only look at `ready` later, or never; the iterator reports the failure too.
  ready.catch(() => {});
  return {
    ready,
    async close() {
      await ready.catch(() => {});
      await nc?.close();
    },
    async *[Symbol.asyncIterator]() {
      await ready;
      for await (const m of sub!) yield m.json<EventJson>();
    },
  };
}

/**
 * Every event kept in a JetStream stream, oldest first, through an ordered consumer from
 * the start; ends once the events stored when it caught up have all been read. A missing
 * stream is a PhoenixError (NOT_FOUND).
 */
export async function* replayStream(natsUrl: string, streamName: string): AsyncGenerator<EventJson, void> {
  const { connect } = await import("@nats-io/transport-node");
  const { jetstream, jetstreamManager } = await import("@nats-io/jetstream");
  const nc = await connect({ servers: natsUrl, name: "phoenix-events-replay" });
  try {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(streamName).catch((err: { code?: number }) => {
      if (err.code !== 10059) throw err;
      throw new PhoenixError(ErrorCode.NOT_FOUND, `JetStream stream ${streamName} does not exist`, {
        cause: err,
      });
    });
    if (info.state.messages === 0) return;
    const consumer = await jetstream(nc).consumers.get(streamName);
    const messages = await consumer.consume();
    try {
      for await (const m of messages) {
        yield m.json<EventJson>();
        if (m.info.pending === 0) return;
      }
    } finally {
      await messages.close();
    }
  } finally {
    await nc.close();
  }
}
