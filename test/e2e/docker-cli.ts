import type { Guest } from "../sandbox/guest";
import { type RunResult, runCommand } from "../sandbox/run-command";

/** Runs the docker CLI against one guest's dockerd (`docker -H unix://<socket> ...`): how an operator looks. */
export function docker(
  guest: Guest,
  args: readonly string[],
  opts: { reject?: boolean } = {},
): Promise<RunResult> {
  return runCommand("docker", ["-H", guest.dockerHost, ...args], { timeoutMs: 30_000, ...opts });
}

/** What `docker node inspect` says of a swarm node (the fields the suites read). */
export interface SwarmNode {
  ID: string;
  Version: { Index: number };
  Spec: { Role: string; Availability: string; Labels?: Record<string, string> };
  Description: { Hostname: string };
  Status: { State: string };
  ManagerStatus?: { Leader?: boolean; Reachability?: string };
}

/** What `docker service inspect` says of a service. */
export interface SwarmService {
  ID: string;
  Version: { Index: number };
  Spec: { Name: string; Labels?: Record<string, string>; TaskTemplate: { Networks?: { Target: string }[] } };
}

/** A running task of a service, from `docker inspect <task>`, with its node's hostname and addresses. */
export interface RunningTask {
  id: string;
  node: string;
  containerId: string;
  /** Address (without prefix length) on each network, by network name. */
  addresses: Record<string, string>;
}

async function inspectAll<T>(guest: Guest, kind: "node" | "service", ids: string[]): Promise<T[]> {
  if (ids.length === 0) return [];
  return JSON.parse((await docker(guest, [kind, "inspect", ...ids])).stdout) as T[];
}

function lines(text: string): string[] {
  return text.split("\n").filter((l) => l.trim() !== "");
}

/** Every swarm node as the manager sees it, by hostname. */
export async function swarmNodes(manager: Guest): Promise<Map<string, SwarmNode>> {
  const ids = lines((await docker(manager, ["node", "ls", "-q"])).stdout);
  const nodes = await inspectAll<SwarmNode>(manager, "node", ids);
  return new Map(nodes.map((n) => [n.Description.Hostname, n]));
}

/** Every service as the manager sees it, by name. */
export async function swarmServices(manager: Guest): Promise<Map<string, SwarmService>> {
  const ids = lines((await docker(manager, ["service", "ls", "-q"])).stdout);
  const services = await inspectAll<SwarmService>(manager, "service", ids);
  return new Map(services.map((s) => [s.Spec.Name, s]));
}

/** The tasks of a service that run now (desired and actual state running). */
export async function runningTasks(manager: Guest, service: string): Promise<RunningTask[]> {
  const ids = lines(
    (
      await docker(manager, [
        "service",
        "ps",
        "-q",
        "--no-trunc",
        "--filter",
        "desired-state=running",
        service,
      ])
    ).stdout,
  );
  if (ids.length === 0) return [];
  const tasks = JSON.parse((await docker(manager, ["inspect", "--type", "task", ...ids])).stdout) as {
    ID: string;
    NodeID: string;
    Status: { State: string; ContainerStatus?: { ContainerID?: string } };
    NetworksAttachments?: { Network: { Spec: { Name: string } }; Addresses?: string[] }[];
  }[];
  const nodes = await swarmNodes(manager);
  const hostOf = new Map([...nodes.values()].map((n) => [n.ID, n.Description.Hostname]));
  return tasks
    .filter((t) => t.Status.State === "running")
    .map((t) => ({
      id: t.ID,
      node: hostOf.get(t.NodeID) ?? t.NodeID,
      containerId: t.Status.ContainerStatus?.ContainerID ?? "",
      addresses: Object.fromEntries(
        (t.NetworksAttachments ?? []).map((a) => [
          a.Network.Spec.Name,
          (a.Addresses?.[0] ?? "").split("/")[0] ?? "",
        ]),
      ),
    }));
}

/** Names of the networks that exist, as one guest sees them. */
export async function networkNames(guest: Guest): Promise<string[]> {
  return lines((await docker(guest, ["network", "ls", "--format", "{{.Name}}"])).stdout);
}

/** The events one guest's dockerd recorded between two moments (ms since the epoch): every write leaves one. */
export async function dockerEvents(guest: Guest, sinceMs: number, untilMs: number): Promise<object[]> {
  const at = (ms: number) => (ms / 1000).toFixed(3);
  const out = await docker(guest, [
    "events",
    "--since",
    at(sinceMs),
    "--until",
    at(untilMs),
    "--format",
    "{{json .}}",
  ]);
  return lines(out.stdout).map((l) => JSON.parse(l) as object);
}

/**
 * An HTTP GET from inside a task's container (busybox `nc`, as the stand-in images carry no curl):
 * the response body, or undefined when the address cannot be reached or resolved.
 */
export async function httpFromTask(
  node: Guest,
  containerId: string,
  host: string,
  port: number,
): Promise<string | undefined> {
  const request = `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${host} ${port}`;
  const r = await docker(node, ["exec", containerId, "sh", "-c", request], { reject: false });
  if (r.code !== 0 || !r.stdout.startsWith("HTTP/1.")) return undefined;
  return r.stdout.slice(r.stdout.indexOf("\r\n\r\n") + 4);
}

/**
 * The addresses a name resolves to inside a task's container (busybox `nslookup` against Docker's
 * embedded DNS), sorted; empty when it does not resolve.
 */
export async function resolveFromTask(node: Guest, containerId: string, name: string): Promise<string[]> {
  const r = await docker(node, ["exec", containerId, "nslookup", name], { reject: false });
  const answer = r.stdout.slice(Math.max(0, r.stdout.indexOf("\nName:")));
  return [...answer.matchAll(/^Address:\s*(\S+)$/gm)].map((m) => m[1] as string).sort();
}
