import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Guest } from "../../../test/sandbox";
import { useSandbox } from "../../../test/sandbox";
import type { ServiceSpec } from "./engine-types";
import type { RenderedStack } from "./render";
import { compactSpec, diffJson, diffServiceSpec } from "./spec-diff";
import { FIXTURE_DIR, fixtureNames, fixtureVariables, renderFixture } from "./testing/fixtures";
import { type RecordedRequest, startRecordingProxy } from "./testing/recording-proxy";

// Conformance with the docker CLI's own `docker stack deploy`: every fixture is deployed by the
// docker CLI (through a proxy that records its requests) into a one-guest swarm, then
//   1. every create request body equals Phoenix's render, field by field (ids aside), and
//   2. every service Docker stored (`docker service inspect` → Spec) matches the render by
//      `diffServiceSpec`, networks/configs/secrets by their inspect output.

const run = promisify(execFile);
const sandbox = useSandbox({ name: "stacks-conformance", guests: 1, nats: false, image: false });
let guest: Guest;
let proxy: Awaited<ReturnType<typeof startRecordingProxy>>;
let proxyHost: string;
const tmp = mkdtempSync(join(tmpdir(), "phoenix-conformance-"));

beforeAll(async () => {
  guest = sandbox.guests[0] as Guest;
  await guest.docker.swarmInit({ ListenAddr: "0.0.0.0:2377", AdvertiseAddr: guest.ip });
  proxy = await startRecordingProxy(join(tmp, "docker.sock"), guest.socketPath);
  proxyHost = `unix://${join(tmp, "docker.sock")}`;
}, 120_000);

afterAll(async () => {
  await proxy?.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** The docker CLI against the guest (through the proxy), with exactly `env` as its environment. */
async function docker(args: string[], env: Record<string, string> = {}) {
  return run("docker", args, {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: tmp, DOCKER_HOST: proxyHost, ...env },
  });
}

async function ensureExternals(rendered: RenderedStack): Promise<void> {
  const existing = new Set((await guest.docker.listNetworks()).map((n: { Name: string }) => n.Name));
  for (const name of rendered.external.networks) {
    if (!existing.has(name))
      await guest.docker.createNetwork({ Name: name, Driver: "overlay", Attachable: true });
  }
  const secrets = new Set(
    (await guest.docker.listSecrets()).map((s: { Spec?: { Name?: string } }) => s.Spec?.Name),
  );
  for (const name of rendered.external.secrets) {
    if (!secrets.has(name))
      await guest.docker.createSecret({ Name: name, Data: Buffer.from("x").toString("base64") });
  }
}

function withoutIds(body: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(body) as Record<string, unknown> & {
    TaskTemplate?: {
      ContainerSpec?: { Secrets?: { SecretID?: string }[]; Configs?: { ConfigID?: string }[] };
    };
  };
  delete copy.CheckDuplicate;
  for (const s of copy.TaskTemplate?.ContainerSpec?.Secrets ?? []) delete s.SecretID;
  for (const c of copy.TaskTemplate?.ContainerSpec?.Configs ?? []) delete c.ConfigID;
  return copy;
}

function byKindAndName(requests: RecordedRequest[]) {
  const out: Record<string, Record<string, unknown>> = {
    networks: {},
    secrets: {},
    configs: {},
    services: {},
  };
  for (const r of requests)
    (out[r.kind] as Record<string, unknown>)[String(r.body.Name)] = compactSpec(withoutIds(r.body));
  return out;
}

function rendered(r: RenderedStack) {
  const out: Record<string, Record<string, unknown>> = {
    networks: {},
    secrets: {},
    configs: {},
    services: {},
  };
  for (const kind of ["networks", "secrets", "configs", "services"] as const) {
    for (const spec of r[kind]) (out[kind] as Record<string, unknown>)[spec.Name] = compactSpec(spec);
  }
  return out;
}

async function networkNames(specs: ServiceSpec[]): Promise<Record<string, string>> {
  const names: Record<string, string> = {};
  for (const s of specs) {
    for (const n of s.TaskTemplate.Networks ?? []) {
      names[n.Target] ??= ((await guest.docker.getNetwork(n.Target).inspect()) as { Name: string }).Name;
    }
  }
  return names;
}

async function removeStack(ns: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    // `docker stack rm` removes the services, then at once the networks, and fails when one races with
    // its tasks: still in use by a task that is shutting down, or gone by the time it is removed (a
    // network listed before an earlier removal finished). The next round takes what is left.
    try {
      await docker(["stack", "rm", ns]);
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    const left = (
      await guest.docker.listNetworks({ filters: { label: [`com.docker.stack.namespace=${ns}`] } })
    ).length;
    if (left === 0 || Date.now() > deadline) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe("docker stack deploy conformance", () => {
  it.each(fixtureNames())("%s", async (name) => {
    const render = renderFixture(name, FIXTURE_DIR);
    await ensureExternals(render);
    proxy.requests.length = 0;
    const { stderr } = await docker(
      [
        "stack",
        "deploy",
        "-c",
        join(FIXTURE_DIR, `${name}.yml`),
        "--resolve-image",
        "never",
        "--detach=true",
        name,
      ],
      fixtureVariables(name),
    );
    try {
      // 1. What the docker CLI sent is what Phoenix renders.
      expect(proxy.requests.map((r) => r.path).every((p) => p.includes("/create"))).toBe(true);
      expect(
        diffJson(compactSpec(rendered(render)) ?? {}, compactSpec(byKindAndName(proxy.requests)) ?? {}),
      ).toEqual([]);
      for (const line of stderr.split("\n").filter((l) => l.startsWith("Ignoring unsupported options"))) {
        expect(render.warnings).toContain(line.trim());
      }

      // 2. What Docker stored matches the render.
      const stored: ServiceSpec[] = [];
      for (const s of render.services)
        stored.push(((await guest.docker.getService(s.Name).inspect()) as { Spec: ServiceSpec }).Spec);
      const names = await networkNames(stored);
      for (const desired of render.services) {
        const observed = stored.find((s) => s.Name === desired.Name) as ServiceSpec;
        expect({
          service: desired.Name,
          diff: diffServiceSpec(desired, observed, { networks: names }),
        }).toEqual({
          service: desired.Name,
          diff: [],
        });
      }
      for (const n of render.networks) {
        const net = (await guest.docker.getNetwork(n.Name).inspect()) as {
          Driver: string;
          Labels: Record<string, string>;
          Internal: boolean;
          Attachable: boolean;
          Options: Record<string, string> | null;
          IPAM: { Driver: string; Config: { Subnet?: string }[] | null };
        };
        const options = Object.fromEntries(
          Object.entries(net.Options ?? {}).filter(
            ([k]) => !k.startsWith("com.docker.network.driver.overlay.vxlanid"),
          ),
        );
        expect({
          name: n.Name,
          driver: net.Driver,
          labels: net.Labels,
          internal: net.Internal,
          attachable: net.Attachable,
          options,
        }).toEqual({
          name: n.Name,
          driver: n.Driver,
          labels: n.Labels,
          internal: n.Internal ?? false,
          attachable: n.Attachable ?? false,
          options: n.Options ?? {},
        });
        for (const c of n.IPAM?.Config ?? [])
          expect(net.IPAM.Config?.map((x) => x.Subnet)).toContain(c.Subnet);
      }
      for (const c of render.configs) {
        const spec = (
          (await guest.docker.getConfig(c.Name).inspect()) as { Spec: { Labels: object; Data: string } }
        ).Spec;
        expect({ labels: spec.Labels, data: spec.Data }).toEqual({ labels: c.Labels, data: c.Data });
      }
      for (const s of render.secrets) {
        const spec = ((await guest.docker.getSecret(s.Name).inspect()) as { Spec: { Labels: object } }).Spec;
        expect(spec.Labels).toEqual(s.Labels);
      }
    } finally {
      await removeStack(name);
    }
  });
});
