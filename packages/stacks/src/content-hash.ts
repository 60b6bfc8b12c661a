import { createHash } from "node:crypto";
import { compareStrings } from "./compose";
import type { ConfigSpec, SecretSpec, ServiceSpec } from "./engine-types";
import { invalidSecretOrConfigName } from "./names";
import type { RenderedStack } from "./render";

// Swarm secrets and configs cannot change their content. To roll out new content, Phoenix
// names each version after its content: `<name>-<first 10 hex digits of sha256(content)>`, and
// labels it with the full hash and the unversioned name. New content means a new object; the
// services are switched to it in the same apply, and the old version, still labelled with the
// stack's namespace but no longer declared, is pruned afterwards. The same content always gives
// the same name, so applying the same stack twice creates nothing.

/** Label with the SHA-256 (hex) of a secret's or config's content. */
export const LABEL_CONTENT_HASH = "phoenix.content-hash";
/** Label with the secret's or config's name before the content version was appended. */
export const LABEL_LOGICAL_NAME = "phoenix.logical-name";
/** Hex digits of the hash that go into a versioned name. */
export const VERSION_DIGITS = 10;

/** SHA-256 (hex) of base64 `Data` as the Engine API carries it. */
export function contentHash(base64Data: string | undefined): string {
  return createHash("sha256")
    .update(Buffer.from(base64Data ?? "", "base64"))
    .digest("hex");
}

/** `<name>-<hash prefix>`; throws when the result is no valid secret/config name. */
export function versionedName(name: string, hash: string): string {
  const versioned = `${name}-${hash.slice(0, VERSION_DIGITS)}`;
  const bad = invalidSecretOrConfigName(versioned);
  if (bad) throw new Error(`cannot version ${name}: ${bad}`);
  return versioned;
}

function version<T extends SecretSpec | ConfigSpec>(spec: T, renames: Map<string, string>): T {
  // A secret from a secret driver has no content here; the driver provides it.
  if ("Driver" in spec && spec.Driver) return spec;
  const hash = contentHash(spec.Data);
  const name = versionedName(spec.Name, hash);
  renames.set(spec.Name, name);
  return {
    ...spec,
    Name: name,
    Labels: Object.fromEntries(
      Object.entries({ ...spec.Labels, [LABEL_CONTENT_HASH]: hash, [LABEL_LOGICAL_NAME]: spec.Name }).sort(
        ([a], [b]) => compareStrings(a, b),
      ),
    ),
  };
}

function renameReferences(service: ServiceSpec, secrets: Map<string, string>, configs: Map<string, string>) {
  const s = structuredClone(service);
  const c = s.TaskTemplate.ContainerSpec;
  c.Secrets = c.Secrets?.map((r) => ({ ...r, SecretName: secrets.get(r.SecretName) ?? r.SecretName })).sort(
    (a, b) => compareStrings(a.SecretName, b.SecretName) || compareStrings(a.File.Name, b.File.Name),
  );
  c.Configs = c.Configs?.map((r) => ({ ...r, ConfigName: configs.get(r.ConfigName) ?? r.ConfigName })).sort(
    (a, b) =>
      compareStrings(a.ConfigName, b.ConfigName) || compareStrings(a.File?.Name ?? "", b.File?.Name ?? ""),
  );
  const credential = c.Privileges?.CredentialSpec;
  if (credential?.Config) credential.Config = configs.get(credential.Config) ?? credential.Config;
  if (!c.Secrets) delete c.Secrets;
  if (!c.Configs) delete c.Configs;
  return s;
}

/**
 * The rendered stack with every secret and config the stack creates named after its content
 * (see the scheme above) and every service reference switched to those names. External
 * objects and driver-backed secrets keep their names.
 */
export function versionObjects(rendered: RenderedStack): RenderedStack {
  const secretNames = new Map<string, string>();
  const configNames = new Map<string, string>();
  const secrets = rendered.secrets
    .map((s) => version(s, secretNames))
    .sort((a, b) => compareStrings(a.Name, b.Name));
  const configs = rendered.configs
    .map((c) => version(c, configNames))
    .sort((a, b) => compareStrings(a.Name, b.Name));
  return {
    ...rendered,
    secrets,
    configs,
    services: rendered.services.map((s) => renameReferences(s, secretNames, configNames)),
  };
}
