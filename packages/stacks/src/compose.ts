import type { ReadFile } from "./compose-loader";
import type { FileObjectConfig, NetworkConfig, ServiceConfig } from "./compose-types";
import type { ConfigSpec, NetworkCreate, SecretSpec, StringMap } from "./engine-types";

/** Label Docker puts on everything a stack owns; its value is the namespace. */
export const LABEL_NAMESPACE = "com.docker.stack.namespace";
/** Label on a service with the image exactly as the compose file names it. */
export const LABEL_IMAGE = "com.docker.stack.image";
/** Network a service joins when it lists none. */
export const DEFAULT_NETWORK = "default";
/** Driver of a stack network that names none. */
export const DEFAULT_NETWORK_DRIVER = "overlay";

/** `<namespace>_<name>`: how a stack names what it owns. */
export function scope(namespace: string, name: string): string {
  return `${namespace}_${name}`;
}

/** A copy of `map` with its keys in sorted order, so rendered JSON is stable. */
export function sortedMap(map: Record<string, string>): StringMap {
  const out: StringMap = {};
  for (const key of Object.keys(map).sort()) out[key] = map[key] as string;
  return out;
}

/** `labels` plus the stack namespace label. */
export function addStackLabel(namespace: string, labels: Record<string, string> | undefined): StringMap {
  return sortedMap({ ...labels, [LABEL_NAMESPACE]: namespace });
}

/** Names of the compose networks that at least one service joins (`default` for none listed). */
export function serviceNetworkNames(services: readonly ServiceConfig[]): Set<string> {
  const names = new Set<string>();
  for (const s of services) {
    if (!s.networks) names.add(DEFAULT_NETWORK);
    else for (const n of Object.keys(s.networks)) names.add(n);
  }
  return names;
}

/** A conversion failure and the compose key path it belongs to. */
export class ConvertError extends Error {
  constructor(
    readonly path: (string | number)[],
    message: string,
  ) {
    super(message);
  }
}

/**
 * The networks a stack creates: those its services join and that are not external, named
 * `<namespace>_<name>` unless they set `name:`. Also returns the external ones it needs.
 */
export function convertNetworks(
  namespace: string,
  networks: Record<string, NetworkConfig>,
  used: ReadonlySet<string>,
): { networks: NetworkCreate[]; external: string[] } {
  const created: NetworkCreate[] = [];
  const external: string[] = [];
  for (const internal of [...used].sort()) {
    const nw = networks[internal];
    if (nw?.external.external) {
      external.push(nw.name ?? internal);
      continue;
    }
    const spec: NetworkCreate = {
      Name: nw?.name || scope(namespace, internal),
      Driver: nw?.driver || DEFAULT_NETWORK_DRIVER,
      Labels: addStackLabel(namespace, nw?.labels),
    };
    if (nw?.driverOpts) spec.Options = sortedMap(nw.driverOpts);
    if (nw?.internal) spec.Internal = true;
    if (nw?.attachable) spec.Attachable = true;
    if (nw && (nw.ipam.driver || (nw.ipam.config?.length ?? 0) > 0)) {
      spec.IPAM = {};
      if (nw.ipam.driver) spec.IPAM.Driver = nw.ipam.driver;
      if (nw.ipam.config?.length) {
        spec.IPAM.Config = nw.ipam.config.map((c) => (c.subnet ? { Subnet: c.subnet } : {}));
      }
    }
    created.push(spec);
  }
  created.sort((a, b) => compareStrings(a.Name, b.Name));
  return { networks: created, external: [...new Set(external)].sort() };
}

/** Plain code-point string order (Go's `<` on strings), independent of locale. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64");
}

function readObject(kind: "secrets" | "configs", name: string, obj: FileObjectConfig, readFile: ReadFile) {
  const file = obj.file ?? "";
  try {
    return readFile(file);
  } catch (e) {
    throw new ConvertError([kind, name, "file"], `cannot read ${file}: ${(e as Error).message}`);
  }
}

/** The secrets a stack creates (all non-external ones it declares), with their file content. */
export function convertSecrets(
  namespace: string,
  secrets: Record<string, FileObjectConfig>,
  readFile: ReadFile,
): SecretSpec[] {
  const out: SecretSpec[] = [];
  for (const name of Object.keys(secrets).sort()) {
    const secret = secrets[name] as FileObjectConfig;
    if (secret.external.external) continue;
    const spec: SecretSpec = {
      Name: secret.name || scope(namespace, name),
      Labels: addStackLabel(namespace, secret.labels),
    };
    if (secret.driver) {
      spec.Driver = { Name: secret.driver };
      if (secret.driverOpts) spec.Driver.Options = sortedMap(secret.driverOpts);
    } else {
      const data = base64(readObject("secrets", name, secret, readFile));
      if (data !== "") spec.Data = data;
    }
    if (secret.templateDriver) spec.Templating = { Name: secret.templateDriver };
    out.push(spec);
  }
  return out.sort((a, b) => compareStrings(a.Name, b.Name));
}

/** The configs a stack creates (all non-external ones it declares), with their file content. */
export function convertConfigs(
  namespace: string,
  configs: Record<string, FileObjectConfig>,
  readFile: ReadFile,
): ConfigSpec[] {
  const out: ConfigSpec[] = [];
  for (const name of Object.keys(configs).sort()) {
    const config = configs[name] as FileObjectConfig;
    if (config.external.external) continue;
    const spec: ConfigSpec = {
      Name: config.name || scope(namespace, name),
      Labels: addStackLabel(namespace, config.labels),
    };
    const data = base64(readObject("configs", name, config, readFile));
    if (data !== "") spec.Data = data;
    if (config.templateDriver) spec.Templating = { Name: config.templateDriver };
    out.push(spec);
  }
  return out.sort((a, b) => compareStrings(a.Name, b.Name));
}
