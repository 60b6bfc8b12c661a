/** One line of container output with the stream it came from. */
export interface RawLogLine {
  stream: "stdout" | "stderr";
  text: string;
}

/** Splits Docker's log stream into lines: a streaming, incremental parser (no I/O). */
export interface LogDemuxer {
  /** Feeds a chunk; returns the lines completed by it. */
  push(chunk: Buffer): RawLogLine[];
  /** Returns what is left in the buffers as final lines. */
  end(): RawLogLine[];
}

const STREAMS = { 1: "stdout", 2: "stderr" } as const;

/**
 * Creates a demuxer for a Docker log stream. Multiplexed streams (no TTY) carry 8-byte frame
 * headers (stream id, 3 zero bytes, big-endian length); raw streams (TTY) are plain stdout.
 * Frames and lines may be split anywhere across chunks.
 */
export function createLogDemuxer(raw: boolean): LogDemuxer {
  let pending: Buffer = Buffer.alloc(0);
  const partial = { stdout: "", stderr: "" };

  const lines = (stream: RawLogLine["stream"], text: string, out: RawLogLine[]) => {
    const parts = (partial[stream] + text).split("\n");
    partial[stream] = parts.pop() ?? "";
    for (const p of parts) out.push({ stream, text: p.endsWith("\r") ? p.slice(0, -1) : p });
  };

  return {
    push(chunk) {
      const out: RawLogLine[] = [];
      if (raw) {
        lines("stdout", chunk.toString("utf8"), out);
        return out;
      }
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 8) {
        const size = pending.readUInt32BE(4);
        if (pending.length < 8 + size) break;
        const stream = STREAMS[pending[0] as 1 | 2] ?? "stdout";
        lines(stream, pending.subarray(8, 8 + size).toString("utf8"), out);
        pending = pending.subarray(8 + size);
      }
      return out;
    },
    end() {
      const out: RawLogLine[] = [];
      for (const stream of ["stdout", "stderr"] as const) {
        if (partial[stream]) out.push({ stream, text: partial[stream] });
        partial[stream] = "";
      }
      pending = Buffer.alloc(0);
      return out;
    },
  };
}

/** A service log line split into Docker's timestamp, its task id (from the details) and the text. */
export interface ServiceLogLine {
  time?: Date;
  taskId: string;
  text: string;
}

const TIMESTAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) /;

/**
 * Parses a line of `GET /services/{id}/logs?timestamps=1&details=1`:
 * "<RFC3339Nano> <k=v,k=v,...> <text>", the details holding com.docker.swarm.task.id.
 */
export function parseServiceLogLine(line: string): ServiceLogLine {
  let rest = line;
  let time: Date | undefined;
  const ts = TIMESTAMP.exec(rest);
  if (ts) {
    const d = new Date(ts[1]!);
    if (!Number.isNaN(d.getTime())) time = d;
    rest = rest.slice(ts[0].length);
  }
  let taskId = "";
  const space = rest.indexOf(" ");
  const head = space < 0 ? rest : rest.slice(0, space);
  if (head === "" || /^[\w.-]+=[^,\s]*(,[\w.-]+=[^,\s]*)*$/.test(head)) {
    for (const kv of head.split(",")) {
      const [k, v] = kv.split("=");
      if (k === "com.docker.swarm.task.id" && v) taskId = decodeURIComponent(v);
    }
    rest = space < 0 ? "" : rest.slice(space + 1);
  }
  return time ? { time, taskId, text: rest } : { taskId, text: rest };
}
