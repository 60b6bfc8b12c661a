import { join } from "node:path";
import { ErrorCode, PhoenixError } from "@phoenix/errors";
import { loadModel, type Model } from "@phoenix/model";
import { renderStack, type ServiceSpec, type StackManifest } from "@phoenix/stacks";
import type Docker from "dockerode";

/** An image a model's services run, and the TCP ports those services are expected to answer on. */
export interface StandinImage {
  image: string;
  ports: number[];
}

/** Label keys that name the port a router sends traffic to (Traefik's load balancer port). */
const ROUTER_PORT_LABEL = /\.loadbalancer\.server\.port$/;
/** Environment variables that tell a program its own port: PORT, HTTP_PORT, QDRANT__SERVICE__GRPC_PORT, ... */
const OWN_PORT_VARIABLE = /(^|_)PORT$/;
/** `scheme://host:port` in a variable or an argument: another service's address. */
const URL_WITH_PORT = /[a-z][a-z0-9+.-]*:\/\/([A-Za-z0-9_.-]+):(\d{1,5})/g;

function containerSpec(svc: ServiceSpec): {
  Image?: string;
  Env?: string[];
  Args?: string[];
  Labels?: object;
} {
  return (svc.TaskTemplate as { ContainerSpec?: ReturnType<typeof containerSpec> }).ContainerSpec ?? {};
}

function validPort(text: string): number | undefined {
  const port = Number(text);
  return /^\d{1,5}$/.test(text) && port > 0 && port < 65_536 ? port : undefined;
}

/** The ports a service's own spec says it listens on: published targets, router labels, PORT variables. */
function ownPorts(svc: ServiceSpec): number[] {
  const found: (number | undefined)[] = [];
  for (const p of (svc.EndpointSpec as { Ports?: { TargetPort?: number }[] } | undefined)?.Ports ?? [])
    found.push(p.TargetPort);
  const labels = { ...svc.Labels, ...(containerSpec(svc).Labels as Record<string, string> | undefined) };
  for (const [key, value] of Object.entries(labels))
    if (ROUTER_PORT_LABEL.test(key)) found.push(validPort(value));
  for (const entry of containerSpec(svc).Env ?? []) {
    const eq = entry.indexOf("=");
    if (eq > 0 && OWN_PORT_VARIABLE.test(entry.slice(0, eq))) found.push(validPort(entry.slice(eq + 1)));
  }
  return found.filter((p): p is number => p !== undefined);
}

/** `host -> ports` that services address each other with (`http://inference:8000`, `tcp://tasks.agent:9001`). */
function addressedPorts(services: readonly ServiceSpec[]): Map<string, Set<number>> {
  const byHost = new Map<string, Set<number>>();
  for (const svc of services) {
    const spec = containerSpec(svc);
    const texts = [...(spec.Env ?? []), ...(spec.Args ?? [])];
    for (const text of texts) {
      for (const m of text.matchAll(URL_WITH_PORT)) {
        const host = m[1]!.replace(/^tasks\./, "");
        const port = validPort(m[2]!);
        if (port === undefined) continue;
        const set = byHost.get(host) ?? new Set<number>();
        set.add(port);
        byHost.set(host, set);
      }
    }
  }
  return byHost;
}

function stackManifest(model: Model, stack: string): StackManifest {
  const s = model.stacks[stack]!;
  const text = s.files[`${s.dir}/phoenix.json`];
  return text === undefined ? {} : (JSON.parse(text) as StackManifest);
}

/**
 * Every image the model's stacks run in any of their environments, each with the ports its services
 * answer on (read from the rendered specs: published ports, router labels, PORT variables, and the
 * addresses other services use for it). The lab makes a stand-in for each.
 */
export async function standinImagesOf(modelDir: string): Promise<StandinImage[]> {
  const result = await loadModel(modelDir);
  if (!result.ok) {
    throw new PhoenixError(ErrorCode.INVALID_MODEL, `the lab's model ${modelDir} does not validate`, {
      details: result.errors,
    });
  }
  const model = result.model;
  const services: { svc: ServiceSpec; namespace: string }[] = [];
  for (const [name, stack] of Object.entries(model.stacks)) {
    const envs = Object.keys(stack.environments);
    for (const env of envs.length > 0 ? envs : [undefined]) {
      const rendered = renderStack({
        composeYaml: stack.compose.text,
        composeFile: stack.compose.file,
        workingDir: join(modelDir, stack.dir),
        stack: name,
        ...(env ? { env, manifest: stackManifest(model, name) } : { namespace: name }),
      });
      for (const svc of rendered.services) services.push({ svc, namespace: rendered.namespace });
    }
  }
  const addressed = addressedPorts(services.map((s) => s.svc));
  const byImage = new Map<string, Set<number>>();
  for (const { svc, namespace } of services) {
    const image = containerSpec(svc).Image;
    if (!image) continue;
    const short = svc.Name.startsWith(`${namespace}_`) ? svc.Name.slice(namespace.length + 1) : svc.Name;
    const ports = byImage.get(image) ?? new Set<number>();
    for (const p of [...ownPorts(svc), ...(addressed.get(svc.Name) ?? []), ...(addressed.get(short) ?? [])])
      ports.add(p);
    byImage.set(image, ports);
  }
  return [...byImage]
    .map(([image, ports]) => ({ image, ports: [...ports].sort((a, b) => a - b) }))
    .sort((a, b) => a.image.localeCompare(b.image));
}

/** Splits an image reference into repository and tag (`traefik:v3.1`, `ghcr.io/a/b:1.0`, `host:5000/x`). */
export function splitImage(image: string): { repo: string; tag: string } {
  if (image.includes("@")) {
    throw new PhoenixError(
      ErrorCode.INVALID_ARGUMENT,
      `image ${image} is pinned by digest: a local stand-in cannot have that digest`,
    );
  }
  const slash = image.lastIndexOf("/");
  const colon = image.lastIndexOf(":");
  if (colon > slash) return { repo: image.slice(0, colon), tag: image.slice(colon + 1) };
  return { repo: image, tag: "latest" };
}

/**
 * The stand-in's entrypoint: answers HTTP on every expected port with busybox httpd, ignores the
 * arguments meant for the real program, and exits at once on SIGTERM.
 */
export const STANDIN_SCRIPT = [
  'echo "phoenix lab stand-in for $PHOENIX_STANDIN_IMAGE on $(hostname)" > /www/index.html',
  'for p in $PHOENIX_STANDIN_PORTS; do httpd -p "$p" -h /www || exit 1; done',
  "trap 'exit 0' TERM INT",
  "while :; do sleep 3600 & wait $!; done",
].join("\n");

/**
 * Imports the busybox test image tar under the name of a model image, with an entrypoint that serves
 * HTTP on the expected ports and ignores its arguments, so services written for the real image run.
 */
export async function importStandin(docker: Docker, tar: string, standin: StandinImage): Promise<void> {
  const { repo, tag } = splitImage(standin.image);
  const changes = [
    `ENV PHOENIX_STANDIN_IMAGE=${standin.image}`,
    `ENV PHOENIX_STANDIN_PORTS="${standin.ports.join(" ")}"`,
    "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    `ENTRYPOINT ${JSON.stringify(["/bin/sh", "-c", STANDIN_SCRIPT, "phoenix-standin"])}`,
    "CMD []",
    `LABEL org.phoenix.lab.standin=${JSON.stringify(standin.image)}`,
    ...standin.ports.map((p) => `EXPOSE ${p}/tcp`),
  ];
  const stream = await docker.importImage(tar, { repo, tag, changes } as Parameters<
    Docker["importImage"]
  >[1]);
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, events: { error?: string }[]) => {
      const failed = err?.message ?? events.find((e) => e.error)?.error;
      if (failed)
        reject(
          new PhoenixError(ErrorCode.DOCKER, `importing the stand-in for ${standin.image} failed: ${failed}`),
        );
      else resolve();
    });
  });
}
