import { readComposeFile } from "./compose-file";
import { projectNameProblem } from "./docker-names";
import type { JsonDocument } from "./json-text";
import type { ModelProblems } from "./model-problems";
import type { Stack, StackEnvironment, StackServiceSettings } from "./model-types";
import { type StackManifestFile, serviceSettingsSchema, stackManifestSchema } from "./stack-manifest-schema";

/** File names of a stack directory. */
export const STACK_MANIFEST = "phoenix.json";
export const STACK_COMPOSE = "docker-compose.yml";

const STACK_FILE = /^stacks\/([^/]+)\/(.+)$/;

function toStrings(
  values: Record<string, string | number | boolean> | string[] | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(values)) {
    for (const entry of values) {
      const eq = entry.indexOf("=");
      if (eq > 0) out[entry.slice(0, eq)] = entry.slice(eq + 1);
    }
  } else if (values) {
    for (const [k, v] of Object.entries(values)) out[k] = String(v);
  }
  return out;
}

function toEnvironments(manifest: StackManifestFile): Record<string, StackEnvironment> {
  const envs: Record<string, StackEnvironment> = {};
  for (const [env, settings] of Object.entries(manifest.environments)) {
    const services: Record<string, StackServiceSettings> = {};
    for (const [svc, s] of Object.entries(settings.services)) {
      services[svc] = {
        traefikLabels: s.traefik_labels.flatMap((t) => {
          const eq = t.indexOf("=");
          return eq > 0 ? [{ key: t.slice(0, eq), value: t.slice(eq + 1) }] : [];
        }),
        placementConstraints: s.placement_constraints,
        ...(s.replicas !== undefined ? { replicas: s.replicas } : {}),
        environment: toStrings(s.environment),
      };
    }
    envs[env] = { variables: toStrings(settings.variables), services };
  }
  return envs;
}

/**
 * The environments and services of a manifest that failed validation, keeping valid settings
 * and empty ones where a service's settings are broken, so the cross-file checks still run.
 */
function salvageEnvironments(value: unknown): Record<string, StackEnvironment> {
  const asRecord = (v: unknown) =>
    typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  const valid: StackManifestFile["environments"] = {};
  for (const [env, settings] of Object.entries(asRecord(asRecord(value)?.environments) ?? {})) {
    const services: StackManifestFile["environments"][string]["services"] = {};
    for (const [svc, raw] of Object.entries(asRecord(asRecord(settings)?.services) ?? {})) {
      const r = serviceSettingsSchema.safeParse(raw);
      services[svc] = r.success ? r.data : { traefik_labels: [], placement_constraints: [] };
    }
    valid[env] = { variables: {}, services };
  }
  return toEnvironments({ environments: valid });
}

/** Groups the model's files by stack directory: stack name to its files. */
export function stackDirectories(files: Record<string, string>): Map<string, Record<string, string>> {
  const dirs = new Map<string, Record<string, string>>();
  for (const [path, text] of Object.entries(files)) {
    const m = STACK_FILE.exec(path);
    if (!m) continue;
    let dir = dirs.get(m[1]!);
    if (!dir) {
      dir = {};
      dirs.set(m[1]!, dir);
    }
    dir[path] = text;
  }
  return dirs;
}

/**
 * Reads every stacks/<name>/ directory: phoenix.json against its schema, docker-compose.yml as
 * YAML with a services map. `parseJson` parses and registers a JSON file (undefined if broken).
 */
export function readStacks(
  files: Record<string, string>,
  problems: ModelProblems,
  parseJson: (file: string) => JsonDocument | undefined,
): Stack[] {
  const stacks: Stack[] = [];
  const dirs = [...stackDirectories(files)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [name, stackFiles] of dirs) {
    const dir = `stacks/${name}`;
    const nameProblem = projectNameProblem(name);
    if (nameProblem) problems.addFile(dir, `stack name ${JSON.stringify(name)} ${nameProblem}`);

    const manifestFile = `${dir}/${STACK_MANIFEST}`;
    const composeFile = `${dir}/${STACK_COMPOSE}`;
    let environments: Record<string, StackEnvironment> = {};
    let description: string | undefined;
    if (stackFiles[manifestFile] === undefined) {
      problems.addFile(dir, `missing ${STACK_MANIFEST}`);
    } else {
      const doc = parseJson(manifestFile);
      if (doc) {
        const result = stackManifestSchema.safeParse(doc.value);
        if (result.success) {
          environments = toEnvironments(result.data);
          description = result.data.description;
        } else {
          problems.addZodIssues(manifestFile, [], result.error.issues);
          environments = salvageEnvironments(doc.value);
        }
      }
    }

    const composeText = stackFiles[composeFile];
    let compose: Stack["compose"] = {
      file: composeFile,
      text: composeText ?? "",
      document: {},
      services: [],
    };
    if (composeText === undefined) {
      problems.addFile(dir, `missing ${STACK_COMPOSE}`);
    } else {
      const read = readComposeFile(composeText);
      if (read.ok) compose = { file: composeFile, text: composeText, ...read.compose };
      else for (const p of read.problems) problems.addFile(composeFile, p.message, p.position, p.path);
    }
    stacks.push({
      name,
      dir,
      ...(description !== undefined ? { description } : {}),
      environments,
      compose,
      files: stackFiles,
    });
  }
  return stacks;
}
