import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ErrorCode, PhoenixError } from "@phoenix/errors";
import { isAlive, type ProcRef, procRef } from "./procfs";

/** A running nats-server of a sandbox. */
export interface NatsProcess {
  proc: ProcRef;
  port: number;
}

/**
 * Starts nats-server with JetStream (store under `dir`), on a port the server picks itself and reports in
 * its ports file, listening on all host addresses so guests reach it at the bridge address.
 */
export async function startNats(dir: string, onStart: (proc: ProcRef) => void): Promise<NatsProcess> {
  mkdirSync(join(dir, "store"), { recursive: true });
  const fd = openSync(join(dir, "nats.log"), "a");
  let proc: ProcRef | undefined;
  try {
    const child = spawn(
      "nats-server",
      ["-js", "-sd", join(dir, "store"), "-a", "0.0.0.0", "-p", "-1", "--ports_file_dir", dir],
      { detached: true, stdio: ["ignore", fd, fd] },
    );
    child.unref();
    proc = child.pid === undefined ? undefined : procRef(child.pid);
  } finally {
    closeSync(fd);
  }
  if (!proc) throw new PhoenixError(ErrorCode.INTERNAL, "nats-server did not start");
  onStart(proc);
  const deadline = Date.now() + 20_000;
  for (;;) {
    const port = readPort(dir, proc.pid);
    if (port !== undefined) return { proc, port };
    if (!isAlive(proc)) {
      const tail = readFileSync(join(dir, "nats.log"), "utf8").trim().split("\n").slice(-5).join("\n");
      throw new PhoenixError(ErrorCode.UNAVAILABLE, `nats-server exited while starting:\n${tail}`);
    }
    if (Date.now() > deadline)
      throw new PhoenixError(ErrorCode.TIMEOUT, "nats-server did not report its port");
    await new Promise((r) => setTimeout(r, 50));
  }
}

function readPort(dir: string, pid: number): number | undefined {
  const file = readdirSync(dir).find((f) => f.endsWith(`_${pid}.ports`));
  if (!file) return undefined;
  try {
    const ports = JSON.parse(readFileSync(join(dir, file), "utf8")) as { nats?: string[] };
    const url = ports.nats?.[0];
    return url ? Number(new URL(url).port) : undefined;
  } catch {
    return undefined;
  }
}
