import { type ChildProcess, type SpawnOptions, spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ErrorCode, PhoenixError } from "@phoenix/errors";
import Docker from "dockerode";
import { inheritedEnv } from "./inherited-env";
import { log } from "./log";
import { isAlive, type ProcRef, procRef, terminate } from "./procfs";
import { type RunOptions, type RunResult, runCommand } from "./run-command";
import type { GuestState, SandboxState } from "./state";

/** How a guest is asked for: its name (also its hostname and swarm node name) and extra dockerd settings. */
export interface GuestSpec {
  /** Hostname, lowercase letters, digits and dashes; default `guest-<n>`. */
  name?: string;
  /** Extra daemon.json keys for this guest's dockerd, e.g. `{ "insecure-registries": ["10.213.0.1:5000"] }`. */
  daemonConfig?: Record<string, unknown>;
  /**
   * Run containerd and dockerd in a mount namespace of the guest's own, where `/run` is private and
   * `/var/lib/docker` is the guest's data root, as on a real machine: `/var/run/docker.sock` is this
   * guest's socket, so services that bind-mount it or `/var/lib/docker/volumes` (Traefik, Portainer) run.
   */
  privateDirs?: boolean;
}

/** The part of a guest that tests use. */
export type Guest = Pick<
  SandboxGuest,
  | "name"
  | "hostname"
  | "ip"
  | "netns"
  | "netnsPath"
  | "utsPath"
  | "dir"
  | "socketPath"
  | "dockerHost"
  | "veth"
  | "docker"
  | "exec"
  | "spawn"
  | "linkDown"
  | "linkUp"
  | "stopDocker"
  | "startDocker"
  | "restartDocker"
>;

/** What a guest needs from its sandbox. */
export interface GuestHost {
  state(): SandboxState;
  mutate(fn: (s: SandboxState) => void): void;
  /** Remembers a spawned child so `down` can stop it even without the state file. */
  track(child: ChildProcess): void;
}

const DOCKER_STOP_GRACE_MS = 15_000;
/** Where a guest with private dirs sees its data root, as dockerd's default on a real machine. */
const PRIVATE_DATA_ROOT = "/var/lib/docker";
const READY_TIMEOUT_MS = 60_000;

/** One guest of a sandbox: a network namespace with its own hostname, veth, containerd and dockerd. */
export class SandboxGuest {
  /** Guest name: lowercase letters, digits and dashes. */
  readonly name: string;
  /** Same as `name`: what `hostname` prints inside the guest and the swarm node's hostname. */
  readonly hostname: string;
  /** The guest's address on the sandbox bridge. */
  readonly ip: string;
  /** Network namespace name (`ip netns`). */
  readonly netns: string;
  /** Network namespace path, for `nsenter --net=`. */
  readonly netnsPath: string;
  /** UTS namespace path (bind mount), for `nsenter --uts=`. */
  readonly utsPath: string;
  /** The guest's own directory (dockerd data, exec root, logs). */
  readonly dir: string;
  /** Path of the guest's Docker API socket. */
  readonly socketPath: string;
  /** `unix://<socketPath>`, for DOCKER_HOST. */
  readonly dockerHost: string;
  /** Host side of the guest's veth pair. */
  readonly veth: string;
  /** A Docker API client bound to this guest's dockerd. */
  readonly docker: Docker;

  constructor(
    state: GuestState,
    private readonly host: GuestHost,
  ) {
    this.name = state.name;
    this.hostname = state.name;
    this.ip = state.ip;
    this.netns = state.netns;
    this.netnsPath = `/var/run/netns/${state.netns}`;
    this.dir = state.dir;
    this.utsPath = join(state.dir, "uts");
    this.socketPath = join(state.dir, "docker.sock");
    this.dockerHost = `unix://${this.socketPath}`;
    this.veth = state.veth;
    this.docker = new Docker({ socketPath: this.socketPath });
  }

  private get containerdSocket(): string {
    return join(this.dir, "containerd.sock");
  }

  private guestState(): GuestState {
    const g = this.host.state().guests.find((x) => x.name === this.name);
    if (!g)
      throw new PhoenixError(ErrorCode.NOT_FOUND, "guest is not part of the sandbox", {
        place: { node: this.name },
      });
    return g;
  }

  private setProc(key: "containerd" | "dockerd", ref: ProcRef | undefined): void {
    this.host.mutate((s) => {
      const g = s.guests.find((x) => x.name === this.name);
      if (g) g[key] = ref;
    });
  }

  /** The command prefix that enters the guest's namespaces. */
  enterArgs(): string[] {
    return [`--net=${this.netnsPath}`, `--uts=${this.utsPath}`, "--"];
  }

  /** Creates the namespace, veth pair, addresses, hostname and config files (not the daemons). */
  async provision(bridge: string): Promise<void> {
    const s = this.guestState();
    mkdirSync(this.dir, { recursive: true });
    await runCommand("ip", ["netns", "add", this.netns]);
    await runCommand("ip", `link add ${this.veth} type veth peer name eth0 netns ${this.netns}`.split(" "));
    await runCommand("ip", ["-n", this.netns, "-batch", "-"], {
      input: ["link set lo up", `addr add ${this.ip}/24 dev eth0`, "link set eth0 up", ""].join("\n"),
    });
    await runCommand("ip", ["link", "set", this.veth, "master", bridge, "up"]);
    writeFileSync(this.utsPath, "");
    await runCommand("unshare", [`--uts=${this.utsPath}`, "hostname", this.hostname]);
    writeFileSync(join(this.dir, "containerd.toml"), containerdConfig(this.dir));
    if (s.privateDirs) {
      mkdirSync(join(this.dir, "data"), { recursive: true });
      // The mount point of the guest's data root inside its mount namespace (empty on the host).
      mkdirSync(PRIVATE_DATA_ROOT, { recursive: true });
    }
    const daemon = {
      hosts: s.privateDirs ? [this.dockerHost, "unix:///var/run/docker.sock"] : [this.dockerHost],
      "data-root": join(this.dir, "data"),
      "exec-root": join(this.dir, "exec"),
      pidfile: join(this.dir, "docker.pid"),
      containerd: this.containerdSocket,
      "deprecated-key-path": join(this.dir, "key.json"),
      // The host's routes are invisible in the guest; keep container networks well away from 10.213/16.
      "default-address-pools": [{ base: "172.30.0.0/16", size: 24 }],
      // Containers that ignore SIGTERM (sh, sleep as PID 1) would hold a dockerd stop for 10 s each.
      "shutdown-timeout": 2,
      ...s.daemonConfig,
    };
    writeFileSync(join(this.dir, "daemon.json"), `${JSON.stringify(daemon, null, 2)}\n`);
  }

  /** Starts a daemon detached inside the guest, its output appended to `<dir>/<logName>`. */
  private startDaemon(cmd: string, args: string[], logName: string, mountNs?: string): ProcRef {
    const fd = openSync(join(this.dir, logName), "a");
    try {
      const enter = mountNs ? [`--mount=${mountNs}`, ...this.enterArgs()] : this.enterArgs();
      const child = spawn("nsenter", [...enter, cmd, ...args], {
        detached: true,
        stdio: ["ignore", fd, fd],
      });
      child.unref();
      const ref = child.pid === undefined ? undefined : procRef(child.pid);
      if (!ref)
        throw new PhoenixError(ErrorCode.INTERNAL, `${cmd} did not start`, { place: { node: this.name } });
      return ref;
    } finally {
      closeSync(fd);
    }
  }

  private tailLog(logName: string): string {
    try {
      return readFileSync(join(this.dir, logName), "utf8").trim().split("\n").slice(-8).join("\n");
    } catch {
      return "(no log)";
    }
  }

  /** Starts this guest's containerd unless it runs, and waits for its socket. */
  async startContainerd(): Promise<void> {
    const current = this.guestState().containerd;
    if (current && isAlive(current)) return;
    rmSync(this.containerdSocket, { force: true });
    const config = join(this.dir, "containerd.toml");
    const ref = this.guestState().privateDirs
      ? this.startDaemon(
          "unshare",
          [
            "--mount",
            "--propagation",
            "slave",
            "--",
            "sh",
            "-c",
            'mount -t tmpfs -o mode=0755 phoenix-guest-run /run && mount --bind "$1" "$2" && exec containerd --config "$0"',
            config,
            join(this.dir, "data"),
            PRIVATE_DATA_ROOT,
          ],
          "containerd.log",
        )
      : this.startDaemon("containerd", ["--config", config], "containerd.log");
    this.setProc("containerd", ref);
    await this.waitFor("containerd", ref, "containerd.log", async () => existsSync(this.containerdSocket));
  }

  /** Starts dockerd again and waits until its API answers. */
  async startDocker(): Promise<void> {
    await this.startContainerd();
    const current = this.guestState().dockerd;
    if (current && isAlive(current)) return;
    rmSync(join(this.dir, "docker.pid"), { force: true });
    const containerd = this.guestState().containerd;
    // With private dirs dockerd joins containerd's mount namespace: both must see the same /run and mounts.
    const mountNs =
      this.guestState().privateDirs && containerd ? `/proc/${containerd.pid}/ns/mnt` : undefined;
    const ref = this.startDaemon(
      "dockerd",
      ["--config-file", join(this.dir, "daemon.json")],
      "dockerd.log",
      mountNs,
    );
    this.setProc("dockerd", ref);
    const probe = new Docker({ socketPath: this.socketPath, timeout: 2_000 });
    await this.waitFor("dockerd", ref, "dockerd.log", async () => {
      try {
        await probe.ping();
        return true;
      } catch {
        return false;
      }
    });
    log.debug({ guest: this.name }, "dockerd ready");
  }

  private async waitFor(
    what: string,
    ref: ProcRef,
    logName: string,
    ready: () => Promise<boolean>,
  ): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (await ready()) return;
      if (!isAlive(ref)) {
        throw new PhoenixError(ErrorCode.DOCKER, `${what} exited while starting:\n${this.tailLog(logName)}`, {
          place: { node: this.name },
        });
      }
      if (Date.now() > deadline) {
        throw new PhoenixError(ErrorCode.TIMEOUT, `${what} not ready after ${READY_TIMEOUT_MS} ms`, {
          place: { node: this.name },
        });
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Stops dockerd (SIGTERM, then SIGKILL after a grace period); containerd keeps running. */
  async stopDocker(): Promise<void> {
    const ref = this.guestState().dockerd;
    if (ref) await terminate([ref], DOCKER_STOP_GRACE_MS);
    this.setProc("dockerd", undefined);
    rmSync(join(this.dir, "docker.pid"), { force: true });
  }

  /** `stopDocker()` then `startDocker()`. */
  async restartDocker(): Promise<void> {
    await this.stopDocker();
    await this.startDocker();
  }

  /**
   * The environment of a process in the guest: the given one (default: this process's, without
   * Phoenix's settings) with DOCKER_HOST pointing at the guest's dockerd unless it names one itself.
   */
  private guestEnv(env: NodeJS.ProcessEnv | undefined): NodeJS.ProcessEnv {
    return { ...(env ?? inheritedEnv()), DOCKER_HOST: env?.DOCKER_HOST ?? this.dockerHost };
  }

  /**
   * Runs a command inside the guest's network and UTS namespaces (the host's filesystem, DOCKER_HOST
   * set to the guest's dockerd) and waits for it; fails on a non-zero exit unless `reject: false`.
   */
  async exec(cmd: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    if (cmd.length === 0) {
      throw new PhoenixError(ErrorCode.INVALID_ARGUMENT, "exec needs a command", {
        place: { node: this.name },
      });
    }
    return runCommand("nsenter", [...this.enterArgs(), ...cmd], { ...opts, env: this.guestEnv(opts.env) });
  }

  /**
   * Starts a long-running process inside the guest, as `exec` does but without waiting (options as
   * child_process.spawn); the sandbox kills it at `down`, also from another process after a crash.
   */
  spawn(cmd: string, args: readonly string[] = [], opts: SpawnOptions = {}): ChildProcess {
    const child = spawn("nsenter", [...this.enterArgs(), cmd, ...args], {
      ...opts,
      env: this.guestEnv(opts.env),
    });
    const ref = child.pid === undefined ? undefined : procRef(child.pid);
    if (ref) {
      const entry = { ...ref, guest: this.name, command: [cmd, ...args].join(" ") };
      this.host.mutate((s) => {
        s.spawned.push(entry);
      });
      child.once("exit", () => {
        this.host.mutate((s) => {
          s.spawned = s.spawned.filter((p) => !(p.pid === ref.pid && p.start === ref.start));
        });
      });
    }
    this.host.track(child);
    return child;
  }

  /** Cuts the guest's link to the bridge (carrier down on its veth). */
  async linkDown(): Promise<void> {
    await runCommand("ip", ["link", "set", this.veth, "down"]);
  }

  /** Restores the guest's link to the bridge. */
  async linkUp(): Promise<void> {
    await runCommand("ip", ["link", "set", this.veth, "up"]);
  }
}

/** containerd config of one guest: every path (root, state, sockets) inside the guest's directory. */
function containerdConfig(dir: string): string {
  return [
    "version = 2",
    `root = "${join(dir, "containerd", "root")}"`,
    `state = "${join(dir, "containerd", "state")}"`,
    'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
    "[grpc]",
    `  address = "${join(dir, "containerd.sock")}"`,
    "[ttrpc]",
    `  address = "${join(dir, "containerd.sock.ttrpc")}"`,
    "[debug]",
    `  address = "${join(dir, "containerd-debug.sock")}"`,
    "",
  ].join("\n");
}
