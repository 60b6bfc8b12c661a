import { createConnection, createServer, type Socket } from "node:net";
import { dockerGet } from "@phoenix/hardware";
import { cpuWithChildrenMs } from "./proc-usage";

/** A unix socket in front of a Docker socket that passes everything through and counts the requests. */
export interface DockerTap {
  /** Where clients connect instead of the engine's socket. */
  path: string;
  /** Requests so far by "<METHOD> <path without query>", e.g. "GET /_ping". */
  counts(): Map<string, number>;
  close(): Promise<void>;
}

const REQUEST_LINE = /(?:^|\r\n)([A-Z]+) (\/[^ ?\r\n]*)[^ \r\n]* HTTP\/1\.[01]\r\n/g;

/**
 * Request lines in what a client sent on one connection: "GET /_ping", "GET /info". Enough for the
 * body-less requests of an idle agent; a request line split across two reads is found in the next
 * (the caller keeps the tail).
 */
export function requestLines(text: string): string[] {
  return [...text.matchAll(REQUEST_LINE)].map((m) => `${m[1]} ${m[2]}`);
}

/** Starts a tap at `path` in front of the engine at `target`. */
export async function startDockerTap(target: string, path: string): Promise<DockerTap> {
  const counts = new Map<string, number>();
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const engine = createConnection(target);
    sockets.add(client).add(engine);
    let tail = "";
    client.on("data", (chunk: Buffer) => {
      const text = tail + chunk.toString("latin1");
      for (const line of requestLines(text)) counts.set(line, (counts.get(line) ?? 0) + 1);
      // Keep what may be the start of the next request line.
      const end = text.lastIndexOf("\r\n");
      tail = end < 0 ? text.slice(-256) : text.slice(end).slice(-256);
    });
    client.pipe(engine).pipe(client);
    const close = () => {
      client.destroy();
      engine.destroy();
      sockets.delete(client);
      sockets.delete(engine);
    };
    client.on("error", close).on("close", close);
    engine.on("error", close).on("close", close);
  });
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(path, resolve));
  return {
    path,
    counts: () => new Map(counts),
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * The engine's CPU for one GET of `path` (milliseconds, with the helpers it runs and waits for): the
 * dockerd's CPU across GETs one after another, divided by their number. At least `n` of them, and as
 * many more as fit in 300 ms (up to 500): CPU time comes in clock ticks of 10 ms, so a cheap call
 * (GET /_ping, about 1 ms) needs many to be seen at all.
 */
export async function engineCostMs(pid: number, socket: string, path: string, n: number): Promise<number> {
  // The agent's own GET, its answer not parsed: only the engine's side counts here.
  const get = () => dockerGet(socket, path, new AbortController().signal, false);
  const before = cpuWithChildrenMs(pid);
  const started = performance.now();
  let calls = 0;
  while (calls < n || (performance.now() - started < 300 && calls < 500)) {
    await get();
    calls++;
  }
  const after = cpuWithChildrenMs(pid);
  if (before === undefined || after === undefined) throw new Error(`process ${pid} (dockerd) is gone`);
  return (after - before) / calls;
}
