import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { ErrorCode, PhoenixError } from "@phoenix/errors";
import { NAME_PREFIX, sandboxRoot } from "./constants";
import { type Guest, type GuestHost, type GuestSpec, SandboxGuest } from "./guest";
import { log } from "./log";
import { startNats } from "./nats";
import { claimSlot, forwardRule, guestAddress, slotNetwork, vethName } from "./network";
import { findProgram, preflight } from "./preflight";
import { type ProcRef, procRef } from "./procfs";
import { runCommand } from "./run-command";
import { type GuestState, readState, type SandboxState, writeState } from "./state";
import { type SandboxStatus, sandboxStatus } from "./status";
import { isStale } from "./sweep";
import { teardown } from "./teardown";
import { buildTestImageTar, importTestImage } from "./test-image";

/** Options of `createSandbox`. */
export interface SandboxOptions {
  /** Unique on this machine; lowercase letters, digits, dashes. Default `sb-<random>`. */
  name?: string;
  /** How many guests (named guest-1..N), or one spec per guest. Default 1. */
  guests?: number | GuestSpec[];
  /** Start a nats-server with JetStream (default true). */
  nats?: boolean;
  /** Import TEST_IMAGE on every guest (default true). */
  image?: boolean;
  /** Leave it running when this process ends: only an explicit `down` removes it (default false). */
  keep?: boolean;
}

/** A multi-guest Docker lab on this machine: a bridge, one namespaced dockerd per guest, nats-server. */
export interface Sandbox {
  readonly name: string;
  /** Directory holding the state file and every guest's files. */
  readonly dir: string;
  /** The guests, in order; filled by `up()`, grown by `addGuest()`. */
  readonly guests: readonly Guest[];
  /** Linux bridge name. */
  readonly bridge: string;
  /** The host's address on the bridge; guests reach host processes (coordinator, nats) there. */
  readonly bridgeIp: string;
  /** The sandbox's /24, e.g. `10.213.0.0/24`. */
  readonly subnet: string;
  /** `nats://<bridgeIp>:<port>`: reachable from the host and from every guest. */
  readonly natsUrl: string;
  /** `nats://127.0.0.1:<port>`: the same server, for host processes. */
  readonly natsLocalUrl: string;
  readonly natsPort: number;
  /** A guest by name or by 0-based index. */
  guest(which: string | number): Guest;
  /** Brings everything up; on failure takes down what was made and throws. */
  up(): Promise<Sandbox>;
  /** Takes everything down; idempotent. */
  down(): Promise<void>;
  /** What runs and what does not. */
  status(): Promise<SandboxStatus>;
  /** Adds a guest to a running sandbox (dockerd running, test image imported). */
  addGuest(spec?: GuestSpec): Promise<Guest>;
  /** A copy of the state file. */
  state(): SandboxState;
}

const NAME_RE = /^[a-z0-9][a-z0-9-]{0,23}$/;
const GUEST_RE = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;
/** Longest socket path a guest gets (containerd's ttrpc socket), checked against the 107-byte limit. */
const LONGEST_SOCKET = "containerd.sock.ttrpc";

function invalid(message: string, node?: string): PhoenixError {
  return new PhoenixError(ErrorCode.INVALID_ARGUMENT, message, node === undefined ? {} : { place: { node } });
}

function guestDir(sandboxDir: string, guest: string): string {
  return join(sandboxDir, "g", guest);
}

function checkGuestName(name: string, dir: string, taken: Iterable<string>): void {
  if (!GUEST_RE.test(name)) {
    throw invalid(
      "guest name must be 1-32 lowercase letters, digits or inner dashes (it is the hostname)",
      name,
    );
  }
  if ([...taken].includes(name)) throw invalid("guest name is used twice", name);
  const longest = join(guestDir(dir, name), LONGEST_SOCKET);
  if (longest.length > 107)
    throw invalid(`socket path ${longest} is longer than 107 bytes; use shorter names`, name);
}

class SandboxImpl implements Sandbox, GuestHost {
  readonly name: string;
  readonly dir: string;
  readonly guests: SandboxGuest[] = [];
  private data: SandboxState | undefined;
  private readonly children = new Set<ChildProcess>();

  constructor(
    name: string,
    private readonly specs: GuestSpec[],
    private readonly opts: { nats: boolean; image: boolean; keep: boolean },
    loaded?: SandboxState,
  ) {
    this.name = name;
    this.dir = join(sandboxRoot(), name);
    if (loaded) {
      this.data = loaded;
      for (const g of loaded.guests) this.guests.push(new SandboxGuest(g, this));
    }
  }

  private need<T>(value: T | undefined, what: string): T {
    if (value === undefined)
      throw new PhoenixError(ErrorCode.UNAVAILABLE, `sandbox ${this.name} has no ${what} (is it up?)`);
    return value;
  }

  get bridge(): string {
    return this.need(this.data?.bridge, "bridge");
  }
  get bridgeIp(): string {
    return this.need(this.data?.bridgeIp, "bridge address");
  }
  get subnet(): string {
    return this.need(this.data?.subnet, "subnet");
  }
  get natsPort(): number {
    if (this.data && this.data.nats === undefined) {
      throw new PhoenixError(
        ErrorCode.UNAVAILABLE,
        `sandbox ${this.name} runs no nats-server (made with nats: false)`,
      );
    }
    return this.need(this.state().nats?.port, "nats-server");
  }
  get natsUrl(): string {
    return `nats://${this.bridgeIp}:${this.natsPort}`;
  }
  get natsLocalUrl(): string {
    return `nats://127.0.0.1:${this.natsPort}`;
  }

  state(): SandboxState {
    const onDisk = this.data ? readState(this.dir) : undefined;
    if (onDisk) this.data = onDisk;
    return structuredClone(this.need(this.data, "state"));
  }

  mutate(fn: (s: SandboxState) => void): void {
    const current = readState(this.dir) ?? this.data;
    // Without its directory the sandbox is down (maybe by another process): nothing to record.
    if (!current || !existsSync(this.dir)) return;
    fn(current);
    writeState(current);
    this.data = current;
  }

  track(child: ChildProcess): void {
    this.children.add(child);
    child.once("exit", () => this.children.delete(child));
  }

  guest(which: string | number): Guest {
    const g = typeof which === "number" ? this.guests[which] : this.guests.find((x) => x.name === which);
    if (!g) throw invalid(`sandbox ${this.name} has no guest ${which}`);
    return g;
  }

  async up(): Promise<Sandbox> {
    if (this.data) throw new PhoenixError(ErrorCode.CONFLICT, `sandbox ${this.name} is already up`);
    preflight(this.opts);
    const started = Date.now();
    await this.claimDir();
    const state: SandboxState = {
      version: 1,
      name: this.name,
      dir: this.dir,
      createdAt: new Date().toISOString(),
      owner: this.opts.keep ? undefined : procRef(process.pid),
      keep: this.opts.keep,
      image: this.opts.image,
      guests: [],
      spawned: [],
    };
    writeState(state);
    this.data = state;
    try {
      await this.bringUp(started);
    } catch (e) {
      log.debug({ sandbox: this.name, err: String(e) }, "up failed, taking the sandbox down");
      await this.down().catch((d: unknown) =>
        log.error({ sandbox: this.name, err: String(d) }, "down after failed up"),
      );
      throw e;
    }
    return this;
  }

  /** Creates the sandbox directory; one left by a dead owner (a crashed run) is taken down first. */
  private async claimDir(): Promise<void> {
    mkdirSync(sandboxRoot(), { recursive: true });
    try {
      mkdirSync(this.dir);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    const existing = readState(this.dir);
    if (!existing || !isStale(existing)) {
      throw new PhoenixError(
        ErrorCode.ALREADY_EXISTS,
        `sandbox ${this.name} already exists (${this.dir}); take it down with: npm run sandbox -- down --name ${this.name}`,
      );
    }
    log.warn({ sandbox: this.name }, "taking down the stale sandbox of the same name first");
    await teardown(existing);
    mkdirSync(this.dir);
  }

  private async bringUp(started: number): Promise<void> {
    const slot = await claimSlot((s) => {
      const net = slotNetwork(s);
      this.mutate((st) => Object.assign(st, { slot: s, ...net }));
    });
    const { bridge, bridgeIp } = slotNetwork(slot);
    await runCommand("ip", ["addr", "add", `${bridgeIp}/24`, "dev", bridge]);
    await runCommand("ip", ["link", "set", bridge, "up"]);
    const rule = forwardRule(bridge, this.name);
    this.mutate((s) => {
      s.iptablesRule = rule;
    });
    await runCommand("iptables", ["-I", "FORWARD", ...rule]);

    const tar = this.opts.image ? buildTestImageTar(findProgram("busybox")!, this.dir) : undefined;
    const nats = this.opts.nats ? this.startNats() : undefined;
    // Reject handlers are attached later; keep Node from reporting them as unhandled meanwhile.
    tar?.catch(() => {});
    nats?.catch(() => {});
    const guests = this.specs.map((spec, i) => this.addGuestState(spec, i + 1));
    await Promise.all(guests.map((g) => this.startGuest(g)));
    if (tar) {
      const path = await tar;
      await Promise.all(guests.map((g) => importTestImage(g.docker, path)));
    }
    await nats;
    log.info({ sandbox: this.name, guests: guests.length, ms: Date.now() - started }, "sandbox up");
  }

  private async startNats(): Promise<void> {
    const dir = join(this.dir, "nats");
    this.mutate((s) => {
      s.nats = { dir };
    });
    const nats = await startNats(dir, (proc: ProcRef) =>
      this.mutate((s) => {
        s.nats = { dir, proc };
      }),
    );
    this.mutate((s) => {
      s.nats = { dir, proc: nats.proc, port: nats.port };
    });
  }

  private addGuestState(spec: GuestSpec, index: number): SandboxGuest {
    const slot = this.need(this.data?.slot, "slot");
    const name = spec.name ?? `guest-${index}`;
    const g: GuestState = {
      name,
      index,
      ip: guestAddress(slot, index),
      netns: `${NAME_PREFIX}-${this.name}-${name}`,
      veth: vethName(slot, index),
      dir: guestDir(this.dir, name),
      daemonConfig: spec.daemonConfig ?? {},
      ...(spec.privateDirs ? { privateDirs: true } : {}),
    };
    this.mutate((s) => {
      s.guests.push(g);
    });
    const guest = new SandboxGuest(g, this);
    this.guests.push(guest);
    return guest;
  }

  private async startGuest(g: SandboxGuest): Promise<void> {
    await g.provision(this.bridge);
    await g.startDocker();
  }

  async addGuest(spec: GuestSpec = {}): Promise<Guest> {
    const state = this.state();
    const index = Math.max(0, ...state.guests.map((g) => g.index)) + 1;
    if (index > 253) throw invalid(`sandbox ${this.name} is full (253 guests)`);
    const name = spec.name ?? `guest-${index}`;
    checkGuestName(
      name,
      this.dir,
      state.guests.map((g) => g.name),
    );
    const guest = this.addGuestState({ ...spec, name }, index);
    await this.startGuest(guest);
    if (state.image) {
      const tar = join(this.dir, "testimg.tar");
      const path = existsSync(tar) ? tar : await buildTestImageTar(findProgram("busybox")!, this.dir);
      await importTestImage(guest.docker, path);
    }
    return guest;
  }

  async down(): Promise<void> {
    const state = readState(this.dir) ?? this.data;
    const extra: ProcRef[] = [];
    for (const child of this.children) {
      const ref = child.pid === undefined ? undefined : procRef(child.pid);
      if (ref) extra.push(ref);
    }
    if (state) await teardown(state, extra);
    this.children.clear();
    this.guests.length = 0;
    this.data = undefined;
  }

  async status(): Promise<SandboxStatus> {
    return sandboxStatus(this.state());
  }
}

function specsOf(guests: SandboxOptions["guests"]): GuestSpec[] {
  if (guests === undefined) return [{}];
  if (typeof guests === "number") {
    if (!Number.isInteger(guests) || guests < 1 || guests > 253)
      throw invalid("guests must be a whole number from 1 to 253");
    return Array.from({ length: guests }, () => ({}));
  }
  if (guests.length === 0) throw invalid("a sandbox needs at least one guest");
  return guests;
}

/** Describes a sandbox (not started yet: call `up()`). Bad names or guest specs fail here, at once. */
export function createSandbox(opts: SandboxOptions = {}): Sandbox {
  const name = opts.name ?? `sb-${randomBytes(3).toString("hex")}`;
  if (!NAME_RE.test(name))
    throw invalid(`sandbox name ${JSON.stringify(name)} must be 1-24 lowercase letters, digits or dashes`);
  const dir = join(sandboxRoot(), name);
  const specs = specsOf(opts.guests).map((spec, i) => ({ ...spec, name: spec.name ?? `guest-${i + 1}` }));
  const seen: string[] = [];
  for (const spec of specs) {
    checkGuestName(spec.name, dir, seen);
    seen.push(spec.name);
  }
  return new SandboxImpl(name, specs, {
    nats: opts.nats ?? true,
    image: opts.image ?? true,
    keep: opts.keep ?? false,
  });
}

/** Opens a sandbox that runs already (brought up by another process, e.g. the shell `up`). */
export function attachSandbox(name: string): Sandbox {
  const dir = join(sandboxRoot(), name);
  const state = readState(dir);
  if (!state) throw new PhoenixError(ErrorCode.NOT_FOUND, `no sandbox named ${name} (no ${dir}/state.json)`);
  return new SandboxImpl(
    name,
    [],
    { nats: state.nats !== undefined, image: state.image, keep: state.keep },
    state,
  );
}
