import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { ErrorCode, PhoenixError } from "@phoenix/errors";
import { nvidiaSmiFixture, writeSimulatedNvidiaSmi } from "@phoenix/hardware";
import { loadModel } from "@phoenix/model";
import { ClusterService, clientCredentials, createClient, type ServiceClient } from "@phoenix/proto";
import type { Guest } from "../sandbox/guest";
import { inheritedEnv } from "../sandbox/inherited-env";
import { findProgram } from "../sandbox/preflight";
import { isAlive, type ProcRef, procRef, terminate, waitGone } from "../sandbox/procfs";
import { attachSandbox, createSandbox, type Sandbox } from "../sandbox/sandbox";
import { writeJsonFile } from "../sandbox/state";
import { downSandbox } from "../sandbox/sweep";
import { buildTestImageTar } from "../sandbox/test-image";
import { freePort, pollFor, startHostProcess, startLogged, tailFile } from "./host-process";
import {
  type AgentState,
  type LabState,
  labStatePath,
  listLabDirs,
  readLabState,
  writeLabState,
} from "./lab-state";
import { BUNDLES, EXAMPLE_MODEL, labRoot } from "./paths";
import { importStandin, type StandinImage, standinImagesOf } from "./standin-images";

/** A guest of the lab: named after a model guest (its hostname), with that guest's vmid and maybe a GPU. */
export interface LabGuestSpec {
  name: string;
  /** Proxmox vmid the agent reports; default: the model guest's of the same name. */
  vmid?: number;
  /** nvidia-smi capture (a file in packages/hardware/fixtures/nvidia-smi, or a path) its simulated GPU prints. */
  gpu?: string;
}

/** Options of `createLab`. */
export interface LabOptions {
  /** Lab and sandbox name: lowercase letters, digits, dashes. Default `lab-<random>`. */
  name?: string;
  guests: LabGuestSpec[];
  /** Model directory to copy and deploy; default the example model. */
  model?: string;
  /** Leave it running when this process ends (the shell `up`); default false. */
  keep?: boolean;
  /** Agent heartbeat interval and the grace after the TTL (3 intervals) before an agent is offline. */
  heartbeatInterval?: string;
  heartbeatGrace?: string;
  /** Log level of the coordinator and the agents (default info). */
  logLevel?: string;
  /** Called with a line per step of `up`. */
  onStep?: (line: string) => void;
  /** Called with the processes' logs when `up` fails, before the lab is taken down again. */
  onFailure?: (logs: string) => void;
}

/** Outcome of a CLI run. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options of `lab.phoenix`. */
export interface CliOptions {
  /** Kill the CLI and fail after this long (default 240 s). */
  timeoutMs?: number;
  /** Print its output here as it comes (the shell `up`), besides collecting it. */
  echo?: boolean;
  /** Called with each line of stdout as it arrives. */
  onLine?: (line: string) => void;
}

/** The whole Phoenix loop on a sandbox: nats-server, the coordinator bundle, an agent bundle per guest. */
export interface Lab {
  readonly name: string;
  /** Directory holding lab.json, the model copy, the state dir, tokens and logs. */
  readonly dir: string;
  readonly sandbox: Sandbox;
  /** The model the coordinator reads (a copy: tests may break and restore it). */
  readonly modelDir: string;
  readonly stateDir: string;
  readonly logDir: string;
  /** host:port of the coordinator on the sandbox bridge (agents and the CLI dial it). */
  readonly coordinatorAddress: string;
  readonly apiTokenFile: string;
  readonly readOnlyTokenFile: string;
  /** NATS URL for host processes (the test's own subscriber). */
  readonly natsUrl: string;
  readonly guests: readonly Guest[];
  guest(name: string): Guest;
  /** The lab's state file, as now on disk. */
  state(): LabState;
  up(): Promise<Lab>;
  /** Stops the agents and the coordinator, takes the sandbox down, removes the lab directory. */
  down(): Promise<void>;
  startCoordinator(): Promise<void>;
  /** SIGTERM (a clean stop) or SIGKILL (a crash). */
  stopCoordinator(signal?: "SIGTERM" | "SIGKILL"): Promise<void>;
  /** Stops the coordinator (a clean stop, or a crash with SIGKILL) and starts it again on the same port and state. */
  restartCoordinator(signal?: "SIGTERM" | "SIGKILL"): Promise<void>;
  coordinatorRunning(): boolean;
  startAgent(guest: string): Promise<void>;
  stopAgent(guest: string, signal?: "SIGTERM" | "SIGKILL"): Promise<void>;
  /** Stops a guest's agent and starts it again (a new process with the same config and state dir). */
  restartAgent(guest: string, signal?: "SIGTERM" | "SIGKILL"): Promise<void>;
  agentRunning(guest: string): boolean;
  /** Waits until the coordinator lists these guests (default all) with their agent online. */
  waitForAgents(guests?: readonly string[], timeoutMs?: number): Promise<void>;
  /** Adds a guest to the running lab: sandbox guest, stand-in images, agent config; starts its agent unless told not to. */
  addGuest(spec: LabGuestSpec, opts?: { startAgent?: boolean }): Promise<Guest>;
  /** Runs the `phoenix` CLI bundle against the lab (PHOENIX_COORDINATOR, PHOENIX_TOKEN_FILE, NO_COLOR). */
  phoenix(args: readonly string[], opts?: CliOptions): Promise<CliResult>;
  /** The variables that point the CLI at the lab. */
  cliEnv(): Record<string, string>;
  /** A typed ClusterService client (API token), for polling without a process per call. */
  api(): ServiceClient<typeof ClusterService>;
  /** The last lines of every process's log: coordinator, agents, each guest's dockerd. */
  logs(lines?: number): string;
}

const NAME_RE = /^[a-z0-9][a-z0-9-]{0,23}$/;
const COORDINATOR_READY_MS = 30_000;

function writeSecret(path: string): void {
  writeFileSync(path, `${randomBytes(24).toString("base64url")}\n`, { mode: 0o600 });
}

function gpuCapture(gpu: string): string {
  return isAbsolute(gpu) ? gpu : nvidiaSmiFixture(gpu);
}

class LabImpl implements Lab {
  readonly name: string;
  readonly dir: string;
  private data: LabState | undefined;
  private box: Sandbox | undefined;
  private client: ServiceClient<typeof ClusterService> | undefined;
  private readonly children = new Map<string, ChildProcess>();
  private standins: StandinImage[] | undefined;

  constructor(
    private readonly opts: LabOptions,
    loaded?: { state: LabState; sandbox: Sandbox | undefined },
  ) {
    this.name = opts.name ?? `lab-${randomBytes(3).toString("hex")}`;
    this.dir = join(labRoot(), this.name);
    if (loaded) {
      this.data = loaded.state;
      this.box = loaded.sandbox;
    }
  }

  private step(line: string): void {
    this.opts.onStep?.(line);
  }

  state(): LabState {
    const onDisk = readLabState(this.dir);
    if (onDisk) this.data = onDisk;
    if (!this.data) throw new PhoenixError(ErrorCode.UNAVAILABLE, `lab ${this.name} is not up`);
    return structuredClone(this.data);
  }

  private mutate(fn: (s: LabState) => void): void {
    const s = readLabState(this.dir) ?? this.data;
    if (!s || !existsSync(this.dir)) return;
    fn(s);
    writeLabState(s);
    this.data = s;
  }

  get sandbox(): Sandbox {
    if (!this.box)
      throw new PhoenixError(ErrorCode.UNAVAILABLE, `lab ${this.name} has no sandbox (is it up?)`);
    return this.box;
  }
  get guests(): readonly Guest[] {
    return this.sandbox.guests;
  }
  guest(name: string): Guest {
    return this.sandbox.guest(name);
  }
  get modelDir(): string {
    return this.state().modelDir;
  }
  get stateDir(): string {
    return this.state().stateDir;
  }
  get logDir(): string {
    return this.state().logDir;
  }
  get apiTokenFile(): string {
    return this.state().tokens.api;
  }
  get readOnlyTokenFile(): string {
    return this.state().tokens.readOnly;
  }
  get coordinatorAddress(): string {
    const c = this.state().coordinator;
    return `${c.host}:${c.port}`;
  }
  get natsUrl(): string {
    return this.sandbox.natsLocalUrl;
  }

  async up(): Promise<Lab> {
    if (!NAME_RE.test(this.name))
      throw new PhoenixError(
        ErrorCode.INVALID_ARGUMENT,
        `lab name ${this.name} must be 1-24 lowercase letters, digits or dashes`,
      );
    if (this.opts.guests.length === 0)
      throw new PhoenixError(ErrorCode.INVALID_ARGUMENT, "a lab needs at least one guest");
    for (const [what, path] of Object.entries(BUNDLES)) {
      if (!existsSync(path))
        throw new PhoenixError(
          ErrorCode.NOT_FOUND,
          `the ${what} bundle ${path} is missing: run npm run build`,
        );
    }
    await sweepStaleLabs();
    mkdirSync(labRoot(), { recursive: true });
    const existing = readLabState(this.dir);
    if (existing) {
      if (!isStale(existing))
        throw new PhoenixError(ErrorCode.ALREADY_EXISTS, `lab ${this.name} is already up (${this.dir})`);
      await downLab(existing);
    }
    rmSync(this.dir, { recursive: true, force: true });
    // Made under a hidden name and renamed into place with its state file, so no lab dir lacks one.
    const making = join(labRoot(), `.${this.name}.${process.pid}.tmp`);
    rmSync(making, { recursive: true, force: true });
    mkdirSync(making);
    const state = this.initialState();
    writeJsonFile(labStatePath(making), state);
    renameSync(making, this.dir);
    this.data = state;
    const started = Date.now();
    try {
      await this.bringUp();
    } catch (err) {
      this.opts.onFailure?.(this.logs());
      await this.down().catch(() => {});
      throw err;
    }
    this.step(`lab ${this.name} up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return this;
  }

  private initialState(): LabState {
    const keep = this.opts.keep ?? false;
    const tokens = join(this.dir, "tokens");
    const logDir = join(this.dir, "logs");
    return {
      version: 1,
      name: this.name,
      dir: this.dir,
      createdAt: new Date().toISOString(),
      owner: keep ? undefined : procRef(process.pid),
      keep,
      sandbox: this.name,
      modelDir: join(this.dir, "model"),
      stateDir: join(this.dir, "coordinator-state"),
      logDir,
      tokens: {
        enrollment: join(tokens, "enrollment.token"),
        api: join(tokens, "api.token"),
        readOnly: join(tokens, "read-only.token"),
      },
      coordinator: { host: "", port: 0, httpPort: 0, args: [], log: join(logDir, "coordinator.log") },
      agents: {},
    };
  }

  private async bringUp(): Promise<void> {
    const { keep, modelDir, stateDir, logDir, tokens } = this.state();
    for (const d of [stateDir, logDir, dirname(tokens.api)]) mkdirSync(d, { recursive: true, mode: 0o700 });
    for (const t of Object.values(tokens)) writeSecret(t);
    cpSync(this.opts.model ?? EXAMPLE_MODEL, modelDir, { recursive: true });
    this.standins = await standinImagesOf(modelDir);

    this.step(
      `sandbox: ${this.opts.guests.length} guests (${this.opts.guests.map((g) => g.name).join(", ")}), nats-server`,
    );
    this.box = createSandbox({
      name: this.name,
      guests: this.opts.guests.map((g) => ({ name: g.name, privateDirs: true })),
      keep,
    });
    await this.box.up();

    this.step(`stand-in images on every guest: ${this.standins.map((s) => s.image).join(", ")}`);
    await Promise.all(this.box.guests.map((g) => this.importStandins(g)));

    this.step("coordinator");
    const host = this.box.bridgeIp;
    const [port, httpPort] = [await freePort(host), await freePort(host)];
    const args = [
      "--model",
      modelDir,
      "--state-dir",
      stateDir,
      "--listen",
      `${host}:${port}`,
      "--http-listen",
      `${host}:${httpPort}`,
      "--nats",
      this.box.natsLocalUrl,
      "--enrollment-token-file",
      tokens.enrollment,
      "--api-token-file",
      tokens.api,
      "--read-only-token-file",
      tokens.readOnly,
      "--heartbeat-interval",
      this.opts.heartbeatInterval ?? "1s",
      "--heartbeat-grace",
      this.opts.heartbeatGrace ?? "2s",
      "--log-level",
      this.opts.logLevel ?? "info",
    ];
    this.mutate((s) => {
      s.coordinator = { ...s.coordinator, host, port, httpPort, args };
    });
    await this.startCoordinator();

    this.step(`agents on ${this.opts.guests.map((g) => g.name).join(", ")}`);
    for (const spec of this.opts.guests) await this.writeAgentConfig(spec);
    await Promise.all(this.opts.guests.map((g) => this.startAgent(g.name)));
    await this.waitForAgents();
  }

  private async importStandins(guest: Guest): Promise<void> {
    let tar = join(this.sandbox.dir, "testimg.tar");
    if (!existsSync(tar)) tar = await buildTestImageTar(findProgram("busybox")!, this.sandbox.dir);
    this.standins ??= await standinImagesOf(this.modelDir);
    const standins = this.standins;
    await Promise.all(standins.map((s) => importStandin(guest.docker, tar, s)));
  }

  private async writeAgentConfig(spec: LabGuestSpec): Promise<void> {
    const s = this.state();
    const guest = this.guest(spec.name);
    const dir = join(this.dir, "agents", spec.name);
    mkdirSync(join(dir, "bin"), { recursive: true });
    let vmid = spec.vmid;
    if (vmid === undefined) {
      const model = await loadModel(s.modelDir);
      if (model.ok) vmid = model.model.guests.find((g) => g.name === spec.name)?.vmid;
    }
    const nvidiaSmi = spec.gpu
      ? await writeSimulatedNvidiaSmi(join(dir, "bin"), { xmlFile: gpuCapture(spec.gpu) })
      : join(dir, "bin", "nvidia-smi"); // absent: this guest has no GPU, like a machine without the driver
    const config = {
      coordinator: `${s.coordinator.host}:${s.coordinator.port}`,
      enrollmentTokenFile: s.tokens.enrollment,
      agentId: spec.name,
      ...(vmid !== undefined ? { vmid } : {}),
      dockerSocket: guest.socketPath,
      nvidiaSmi,
      stateDir: join(dir, "state"),
      logLevel: this.opts.logLevel ?? "info",
    };
    const file = join(dir, "agent.json");
    writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
    const agent: AgentState = {
      guest: spec.name,
      vmid,
      gpu: spec.gpu,
      config: file,
      log: join(s.logDir, `agent-${spec.name}.log`),
    };
    this.mutate((st) => {
      st.agents[spec.name] = agent;
    });
  }

  async startCoordinator(): Promise<void> {
    const s = this.state();
    if (s.coordinator.proc && isAlive(s.coordinator.proc)) return;
    this.resetClient();
    const { ref } = startHostProcess(
      process.execPath,
      [BUNDLES.coordinator, ...s.coordinator.args],
      s.coordinator.log,
      {
        detached: s.keep,
      },
    );
    this.mutate((st) => {
      st.coordinator.proc = ref;
    });
    await pollFor(
      "the coordinator answers",
      async () => {
        if (!isAlive(ref)) {
          throw new PhoenixError(
            ErrorCode.UNAVAILABLE,
            `the coordinator exited while starting:\n${tailFile(s.coordinator.log, 15)}`,
          );
        }
        try {
          await this.api().getStatus({}, { timeoutMs: 1_000 });
          return true;
        } catch {
          return undefined;
        }
      },
      COORDINATOR_READY_MS,
      100,
    );
  }

  async stopCoordinator(signal: "SIGTERM" | "SIGKILL" = "SIGTERM"): Promise<void> {
    const ref = this.state().coordinator.proc;
    this.resetClient();
    if (!ref) return;
    await stopProcess(ref, signal, 10_000);
    this.mutate((st) => {
      st.coordinator.proc = undefined;
    });
  }

  async restartCoordinator(signal: "SIGTERM" | "SIGKILL" = "SIGTERM"): Promise<void> {
    await this.stopCoordinator(signal);
    await this.startCoordinator();
  }

  coordinatorRunning(): boolean {
    const ref = this.state().coordinator.proc;
    return ref !== undefined && isAlive(ref);
  }

  async startAgent(name: string): Promise<void> {
    const s = this.state();
    const agent = s.agents[name];
    if (!agent)
      throw new PhoenixError(ErrorCode.NOT_FOUND, `lab ${this.name} has no agent for guest ${name}`);
    if (agent.proc && isAlive(agent.proc)) return;
    const guest = this.guest(name);
    const { child, ref } = startLogged(
      (stdio) =>
        guest.spawn(process.execPath, [BUNDLES.agent, "run", "--config", agent.config], {
          stdio,
          detached: s.keep,
        }),
      agent.log,
      `the agent on ${name}`,
    );
    if (s.keep) child.unref();
    this.children.set(name, child);
    this.mutate((st) => {
      st.agents[name] = { ...agent, proc: ref, startedAt: Date.now() };
    });
  }

  async stopAgent(name: string, signal: "SIGTERM" | "SIGKILL" = "SIGTERM"): Promise<void> {
    const ref = this.state().agents[name]?.proc;
    if (!ref) return;
    await stopProcess(ref, signal, 5_000);
    this.mutate((st) => {
      const a = st.agents[name];
      if (a) a.proc = undefined;
    });
  }

  async restartAgent(name: string, signal: "SIGTERM" | "SIGKILL" = "SIGTERM"): Promise<void> {
    await this.stopAgent(name, signal);
    await this.startAgent(name);
  }

  agentRunning(name: string): boolean {
    const ref = this.state().agents[name]?.proc;
    return ref !== undefined && isAlive(ref);
  }

  async waitForAgents(guests?: readonly string[], timeoutMs = 30_000): Promise<void> {
    const names = guests ?? Object.keys(this.state().agents);
    await pollFor(
      `agents of ${names.join(", ")} online at the coordinator`,
      async () => {
        for (const n of names) {
          const ref = this.state().agents[n]?.proc;
          if (ref && !isAlive(ref)) {
            throw new PhoenixError(
              ErrorCode.UNAVAILABLE,
              `the agent on ${n} exited:\n${tailFile(this.state().agents[n]!.log, 15)}`,
            );
          }
        }
        const res = await this.api()
          .listNodes({}, { timeoutMs: 2_000 })
          .catch(() => undefined);
        if (!res) return undefined;
        const online = new Set(res.nodes.filter((n) => n.online).map((n) => n.name));
        return names.every((n) => online.has(n)) ? true : undefined;
      },
      timeoutMs,
    );
  }

  async addGuest(spec: LabGuestSpec, opts: { startAgent?: boolean } = {}): Promise<Guest> {
    const guest = await this.sandbox.addGuest({ name: spec.name, privateDirs: true });
    await this.importStandins(guest);
    await this.writeAgentConfig(spec);
    if (opts.startAgent ?? true) await this.startAgent(spec.name);
    return guest;
  }

  cliEnv(): Record<string, string> {
    return {
      PHOENIX_COORDINATOR: this.coordinatorAddress,
      PHOENIX_TOKEN_FILE: this.apiTokenFile,
      NO_COLOR: "1",
    };
  }

  phoenix(args: readonly string[], opts: CliOptions = {}): Promise<CliResult> {
    const env: NodeJS.ProcessEnv = { ...inheritedEnv(), ...this.cliEnv() };
    delete env.FORCE_COLOR;
    const timeoutMs = opts.timeoutMs ?? 240_000;
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [BUNDLES.cli, ...args], {
        env,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      let pending = "";
      child.stdout.on("data", (b: Buffer) => {
        const text = b.toString("utf8");
        stdout += text;
        if (opts.echo) process.stdout.write(text);
        if (opts.onLine) {
          pending += text;
          const lines = pending.split("\n");
          pending = lines.pop() ?? "";
          for (const l of lines) opts.onLine(l);
        }
      });
      child.stderr.on("data", (b: Buffer) => {
        stderr += b.toString("utf8");
        if (opts.echo) process.stderr.write(b);
      });
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      child.on("error", (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        if (pending && opts.onLine) opts.onLine(pending);
        if (signal === "SIGKILL" && code === null) {
          reject(
            new PhoenixError(
              ErrorCode.TIMEOUT,
              `phoenix ${args.join(" ")} did not finish within ${timeoutMs} ms`,
              {
                details: [],
              },
            ),
          );
          return;
        }
        resolve({ code: code ?? 128, stdout, stderr });
      });
    });
  }

  private resetClient(): void {
    this.client?.close();
    this.client = undefined;
  }

  api(): ServiceClient<typeof ClusterService> {
    if (!this.client) {
      const token = tailFile(this.apiTokenFile, 1).trim();
      this.client = createClient(ClusterService, this.coordinatorAddress, clientCredentials(), {}, () => {
        const md = new grpc.Metadata();
        md.set("authorization", `Bearer ${token}`);
        return md;
      });
    }
    return this.client;
  }

  logs(lines = 60): string {
    const s = this.data ?? readLabState(this.dir);
    if (!s) return `(lab ${this.name} has no state)`;
    const parts = [`==> coordinator (${s.coordinator.log})\n${tailFile(s.coordinator.log, lines)}`];
    for (const a of Object.values(s.agents))
      parts.push(`==> agent on ${a.guest} (${a.log})\n${tailFile(a.log, lines)}`);
    for (const g of this.box?.guests ?? []) {
      const log = join(g.dir, "dockerd.log");
      parts.push(`==> dockerd of ${g.name} (${log})\n${tailFile(log, Math.min(lines, 20))}`);
    }
    return parts.join("\n\n");
  }

  async down(): Promise<void> {
    this.resetClient();
    const s = readLabState(this.dir) ?? this.data;
    if (s) await downLab(s);
    else rmSync(this.dir, { recursive: true, force: true });
    this.children.clear();
    this.data = undefined;
    this.box = undefined;
  }
}

/** SIGKILL at once (a crash), or SIGTERM with `graceMs` to exit before SIGKILL (a clean stop). */
async function stopProcess(ref: ProcRef, signal: "SIGTERM" | "SIGKILL", graceMs: number): Promise<void> {
  if (signal === "SIGTERM") {
    await terminate([ref], graceMs);
    return;
  }
  if (isAlive(ref)) process.kill(ref.pid, "SIGKILL");
  await waitGone([ref], 5_000);
}

/** True when the lab's owner died without taking it down (and it was not kept on purpose). */
export function isStale(state: LabState): boolean {
  return !state.keep && (state.owner === undefined || !isAlive(state.owner));
}

/** Takes a lab down from its state: agents, coordinator, sandbox, directory. */
export async function downLab(state: LabState): Promise<void> {
  const agents = Object.values(state.agents)
    .map((a) => a.proc)
    .filter((p) => p !== undefined);
  await terminate(agents, 5_000);
  if (state.coordinator.proc) await terminate([state.coordinator.proc], 10_000);
  await downSandbox(state.sandbox);
  rmSync(state.dir, { recursive: true, force: true });
}

/** Takes down labs whose owner process died (a crashed test run); live and kept ones stay. */
export async function sweepStaleLabs(): Promise<string[]> {
  const swept: string[] = [];
  for (const d of listLabDirs(labRoot())) {
    // A lab directory is renamed into place with its state file: one without a readable state is debris.
    if (d.state && !isStale(d.state)) continue;
    if (d.state) await downLab(d.state);
    else rmSync(d.dir, { recursive: true, force: true });
    swept.push(d.name);
  }
  return swept;
}

/** Describes a lab (not started yet: call `up()`). */
export function createLab(opts: LabOptions): Lab {
  return new LabImpl(opts);
}

/** Opens a running lab by name (brought up by another process, e.g. the shell `up`). */
export function attachLab(name: string, opts: Omit<LabOptions, "guests" | "name"> = {}): Lab {
  const dir = join(labRoot(), name);
  const state = readLabState(dir);
  if (!state) throw new PhoenixError(ErrorCode.NOT_FOUND, `no lab named ${name} (no ${dir}/lab.json)`);
  // The sandbox may be gone already (taken down on its own): the lab can still be inspected and taken down.
  let sandbox: Sandbox | undefined;
  try {
    sandbox = attachSandbox(state.sandbox);
  } catch {
    sandbox = undefined;
  }
  const guests = Object.values(state.agents).map((a) => ({
    name: a.guest,
    ...(a.vmid !== undefined ? { vmid: a.vmid } : {}),
    ...(a.gpu ? { gpu: a.gpu } : {}),
  }));
  return new LabImpl({ ...opts, name, guests }, { state, sandbox });
}
