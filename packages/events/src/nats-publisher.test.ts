import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { AgentConnectedSchema, create, type Event, EventSchema, NodeJoinedSchema } from "@phoenix/proto";
import { afterEach, describe, expect, it } from "vitest";
import { NatsPublisher, redactUrl } from "./nats-publisher";
import { type NatsServerProcess, natsServerProcess } from "./nats-server-process";
import { PublishBuffer } from "./publish-buffer";
import { replayStream } from "./subscribe";
import { captureLogger, collect, until } from "./test-support";

const event = (seq: number, data: Event["data"]) =>
  create(EventSchema, { id: `ev-${seq}`, seq: BigInt(seq), type: "", cluster: "lab", subject: "s", data });
const agent = (seq: number) =>
  Object.assign(event(seq, { case: "agentConnected", value: create(AgentConnectedSchema, { guest: "g" }) }), {
    type: "agent.connected",
  });
const joined = (seq: number) =>
  Object.assign(event(seq, { case: "nodeJoined", value: create(NodeJoinedSchema, { guest: "g" }) }), {
    type: "node.joined",
  });

let nats: NatsServerProcess | undefined;
let publisher: NatsPublisher | undefined;
afterEach(async () => {
  await publisher?.close(0);
  await nats?.dispose();
});

describe("NatsPublisher", () => {
  it.each([
    ["nats://127.0.0.1:4222", "nats://127.0.0.1:4222"],
    ["nats://user:s3cret@10.0.0.1:4222", "nats://10.0.0.1:4222"],
    ["tls://token@nats.local", "tls://nats.local"],
  ])("redacts %s for logs", (url, shown) => {
    expect(redactUrl(url)).toBe(shown);
  });

  it("gives up an event the server keeps refusing, so the events behind it still go out", async () => {
    nats = await natsServerProcess();
    await nats.start();
    const nc = await connect({ servers: nats.url });
    // Another stream keeps only agent events; ours cannot be created (overlap): node events have no stream.
    await (await jetstreamManager(nc)).streams.add({ name: "AGENTS", subjects: ["phoenix.lab.agent.>"] });
    await nc.close();

    const cap = captureLogger();
    const buffer = new PublishBuffer<Event>(100);
    const drops: number[] = [];
    for (const ev of [agent(1), joined(2), agent(3)]) buffer.push(ev);
    publisher = new NatsPublisher({
      url: nats.url,
      name: "test",
      streamName: "PHOENIX_LAB",
      streamSubjects: "phoenix.lab.>",
      subjectOf: (ev) => `phoenix.lab.${ev.type}`,
      buffer,
      onDropped: (n) => drops.push(n),
      logger: cap.logger,
      retry: { minMs: 10, maxMs: 50, maxRefusals: 3 },
    });
    publisher.start();
    await until("the buffer to empty", () => buffer.size === 0);
    expect((await collect(replayStream(nats.url, "AGENTS"), 10)).map((e) => e.id)).toEqual(["ev-1", "ev-3"]);
    expect([buffer.dropped, drops]).toEqual([1, []]);
    expect(cap.lines.find((l) => l.msg === "NATS kept refusing an event; dropped it")).toMatchObject({
      seq: "2",
      type: "node.joined",
      attempts: 3,
    });
  });
});
