import { describe, expect, it } from "vitest";
import { createLogDemuxer, parseServiceLogLine } from "./log-demux";

function frame(stream: 1 | 2, text: string): Buffer {
  const body = Buffer.from(text, "utf8");
  const head = Buffer.alloc(8);
  head[0] = stream;
  head.writeUInt32BE(body.length, 4);
  return Buffer.concat([head, body]);
}

describe("createLogDemuxer", () => {
  it("splits multiplexed frames into lines with their stream", () => {
    const d = createLogDemuxer(false);
    const out = d.push(Buffer.concat([frame(1, "one\ntwo\n"), frame(2, "oops\n")]));
    expect(out).toEqual([
      { stream: "stdout", text: "one" },
      { stream: "stdout", text: "two" },
      { stream: "stderr", text: "oops" },
    ]);
  });

  it("handles frames and lines split at every byte", () => {
    const all = Buffer.concat([frame(1, "héllo wörld\npart"), frame(2, "err\n"), frame(1, "ial\n")]);
    const d = createLogDemuxer(false);
    const out = [];
    for (let i = 0; i < all.length; i++) out.push(...d.push(all.subarray(i, i + 1)));
    expect(out).toEqual([
      { stream: "stdout", text: "héllo wörld" },
      { stream: "stderr", text: "err" },
      { stream: "stdout", text: "partial" },
    ]);
  });

  it("returns an unterminated last line at the end", () => {
    const d = createLogDemuxer(false);
    expect(d.push(frame(1, "no newline"))).toEqual([]);
    expect(d.end()).toEqual([{ stream: "stdout", text: "no newline" }]);
    expect(d.end()).toEqual([]);
  });

  it("reads a raw (TTY) stream as stdout and drops carriage returns", () => {
    const d = createLogDemuxer(true);
    expect([...d.push(Buffer.from("a\r\nb")), ...d.end()]).toEqual([
      { stream: "stdout", text: "a" },
      { stream: "stdout", text: "b" },
    ]);
  });
});

describe("parseServiceLogLine", () => {
  it.each([
    [
      "2024-05-01T10:00:00.123456789Z com.docker.swarm.node.id=n1,com.docker.swarm.service.id=s1,com.docker.swarm.task.id=t1 hello world",
      { taskId: "t1", text: "hello world", iso: "2024-05-01T10:00:00.123Z" },
    ],
    [
      "2024-05-01T10:00:00Z  message without details",
      { taskId: "", text: "message without details", iso: "2024-05-01T10:00:00.000Z" },
    ],
    [
      "2024-05-01T10:00:00Z com.docker.swarm.task.id=t2 ",
      { taskId: "t2", text: "", iso: "2024-05-01T10:00:00.000Z" },
    ],
    ["plain text a=b c", { taskId: "", text: "plain text a=b c", iso: undefined }],
    ["a=b rest", { taskId: "", text: "rest", iso: undefined }],
  ])("%s", (line, want) => {
    const got = parseServiceLogLine(line);
    expect({ taskId: got.taskId, text: got.text, iso: got.time?.toISOString() }).toEqual(want);
  });
});
