import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A real nats-server with JetStream on loopback, for tests: start, kill and restart on the same port and store. */
export interface NatsServerProcess {
  readonly port: number;
  readonly url: string;
  /** JetStream store directory (kept across restarts). */
  readonly storeDir: string;
  /** True while the server process runs. */
  readonly running: boolean;
  /** Starts the server (again) and resolves once it accepts clients. */
  start(): Promise<void>;
  /** Stops the server: TERM by default (then KILL after 5 s), or KILL at once. */
  stop(signal?: "SIGTERM" | "SIGKILL"): Promise<void>;
  /** Stops the server and deletes its store. */
  dispose(): Promise<void>;
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

/** Prepares a nats-server (`-js -a 127.0.0.1 -p <free port> -sd <tmpdir>`) without starting it. */
export async function natsServerProcess(opts: { jetstream?: boolean } = {}): Promise<NatsServerProcess> {
  const port = await freePort();
  const storeDir = await mkdtemp(join(tmpdir(), "phoenix-nats-"));
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const stop = async (signal: "SIGTERM" | "SIGKILL" = "SIGTERM") => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    c.kill(signal);
    const timer = setTimeout(() => c.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  };

  return {
    port,
    url: `nats://127.0.0.1:${port}`,
    storeDir,
    get running() {
      return child !== undefined && child.exitCode === null && child.signalCode === null;
    },
    async start() {
      const args = ["-a", "127.0.0.1", "-p", String(port)];
      if (opts.jetstream !== false) args.push("-js", "-sd", storeDir);
      const c = spawn("nats-server", args, { stdio: ["ignore", "ignore", "pipe"] });
      child = c;
      exited = new Promise((resolve) => c.once("exit", () => resolve()));
      let log = "";
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => fail(new Error("nats-server did not get ready within 10 s")), 10_000);
        const fail = (err: Error) => {
          clearTimeout(timer);
          c.kill("SIGKILL");
          reject(new Error(`${err.message}\n${log}`));
        };
        c.stderr!.on("data", (chunk: Buffer) => {
          log += chunk.toString();
          if (log.includes("Server is ready")) {
            clearTimeout(timer);
            resolve();
          }
        });
        c.once("error", fail);
        c.once("exit", (code) => fail(new Error(`nats-server exited with ${code}`)));
      });
      c.stderr!.resume();
    },
    stop,
    async dispose() {
      await stop("SIGKILL");
      await rm(storeDir, { recursive: true, force: true });
    },
  };
}
