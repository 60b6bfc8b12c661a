import type { ChildProcess } from "node:child_process";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import { nvidiaSmiFixture, writeSimulatedNvidiaSmi } from "@phoenix/hardware";
import { ClusterService, clientCredentials, createClient, type ServiceClient } from "@phoenix/proto";
import type { Guest } from "../../../test/sandbox";
import type { CoordinatorConfig } from "../config";
import { type Coordinator, startCoordinator } from "../coordinator";
import { createLogger, type Logger } from "../logger";
import { Secret } from "../secret";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
/** The real agent's bundle, built once when missing. */
export const AGENT_BUNDLE = join(ROOT, "agents/node-agent/dist/phoenix-agent.mjs");

/** Builds the agent bundle if it is not there. */
export function ensureAgentBundle(): string {
  if (!existsSync(AGENT_BUNDLE)) {
    execFileSync("npm", ["run", "build", "-w", "@phoenix/node-agent"], { cwd: ROOT, stdio: "inherit" });
  }
  return AGENT_BUNDLE;
}

/** Files of a model, by path relative to its root. */
export type ModelFiles = Record<string, string | object>;

/** Writes a model directory and returns it. */
export function writeModel(files: ModelFiles, dir = mkdtempSync(join(tmpdir(), "phoenix-model-"))): string {
  for (const [path, content] of Object.entries(files)) {
    const full = join(dir, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, typeof content === "string" ? content : `${JSON.stringify(content, null, 2)}\n`);
  }
  return dir;
}

/** A coordinator started in this process for a test, with its tokens and a typed API client. */
export interface TestCoordinator {
  coordinator: Coordinator;
  config: CoordinatorConfig;
  /** host:port agents dial. */
  agentAddress: string;
  enrollmentTokenFile: string;
  client(token?: string): ServiceClient<typeof ClusterService>;
  stop(): Promise<void>;
}

/** Tokens test coordinators use. */
export const TEST_TOKENS = {
  enrollment: "enroll-test-0123456789",
  api: "api-test-0123456789",
  readOnly: "ro-test-0123456789",
};

/** Starts a coordinator on `host` (port picked) for the model directory. */
export async function startTestCoordinator(
  o: {
    modelDir: string;
    host: string;
    natsUrl?: string;
    logLevel?: string;
    logger?: Logger;
  } & Partial<CoordinatorConfig>,
): Promise<TestCoordinator> {
  const dir = mkdtempSync(join(tmpdir(), "phoenix-coord-"));
  const enrollmentTokenFile = join(dir, "enroll");
  writeFileSync(enrollmentTokenFile, `${TEST_TOKENS.enrollment}\n`);
  const { modelDir, host, natsUrl, logLevel, logger, ...rest } = o;
  const config: CoordinatorConfig = {
    modelDir,
    stateDir: join(dir, "state"),
    listen: { host, port: 0 },
    enrollmentToken: new Secret(TEST_TOKENS.enrollment),
    apiToken: new Secret(TEST_TOKENS.api),
    readOnlyToken: new Secret(TEST_TOKENS.readOnly),
    heartbeatIntervalMs: 1_000,
    heartbeatTtlMs: 3_000,
    heartbeatGraceMs: 2_000,
    driftIntervalMs: 0,
    reconcileDebounceMs: 50,
    autoReconcile: true,
    agentBundle: AGENT_BUNDLE,
    installScript: join(ROOT, "deploy/install-agent.sh"),
    logLevel: logLevel ?? process.env.PHOENIX_TEST_LOG_LEVEL ?? "warn",
    ...(natsUrl ? { natsUrl } : {}),
    ...rest,
  };
  const coordinator = await startCoordinator(config, logger ?? createLogger(config.logLevel));
  const clients: ServiceClient<typeof ClusterService>[] = [];
  const local = `${host === "0.0.0.0" ? "127.0.0.1" : host}:${coordinator.address.port}`;
  return {
    coordinator,
    config,
    agentAddress: local,
    enrollmentTokenFile,
    client(token = TEST_TOKENS.api) {
      const c = createClient(ClusterService, local, clientCredentials(), {}, () => {
        const md = new grpc.Metadata();
        if (token) md.set("authorization", `Bearer ${token}`);
        return md;
      });
      clients.push(c);
      return c;
    },
    async stop() {
      for (const c of clients) c.close();
      await coordinator.stop();
    },
  };
}

/** Starts the real agent inside a sandbox guest, dialling the coordinator; a GPU capture simulates a GPU. */
export async function startAgentIn(
  guest: Guest,
  o: { coordinator: string; tokenFile: string; vmid?: number; gpuCapture?: string },
): Promise<ChildProcess> {
  const args = [
    ensureAgentBundle(),
    "run",
    "--coordinator",
    o.coordinator,
    "--enrollment-token-file",
    o.tokenFile,
    "--agent-id",
    `agent-${guest.name}`,
    "--docker-socket",
    guest.socketPath,
    "--state-dir",
    join(guest.dir, "agent-state"),
    "--log-level",
    "warn",
  ];
  if (o.vmid !== undefined) args.push("--vmid", String(o.vmid));
  const smiDir = join(guest.dir, "agent-bin");
  mkdirSync(smiDir, { recursive: true });
  const smi = o.gpuCapture
    ? await writeSimulatedNvidiaSmi(smiDir, { xmlFile: nvidiaSmiFixture(o.gpuCapture) })
    : join(smiDir, "no-nvidia-smi");
  args.push("--nvidia-smi", smi);
  return guest.spawn(process.execPath, args, { stdio: ["ignore", "inherit", "inherit"] });
}

/** Polls until `probe` is true, or throws after timeoutMs saying what did not happen. */
export async function waitFor(
  what: string,
  probe: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
