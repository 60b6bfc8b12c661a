import { ErrorCode, PhoenixError } from "@phoenix/errors";
import { checkModel, MODEL_FILES } from "./check-model";
import { type ClusterFile, clusterFileSchema, salvageClusterFile } from "./cluster-schema";
import { type JsonDocument, parseJsonText } from "./json-text";
import { ModelProblems } from "./model-problems";
import type { ClusterConfig, Guest, Model, Stack } from "./model-types";
import { readGuestFile } from "./parse-guests";
import { readStacks } from "./parse-stacks";

/** Outcome of reading a model: the model, or every problem found (never only the first). */
export type ModelResult = { ok: true; model: Model } | { ok: false; errors: PhoenixError[] };

function toCluster(file: ClusterFile): ClusterConfig {
  return {
    name: file.name,
    swarm: { managers: file.swarm.managers, adopt: file.swarm.adopt },
    labels: { hardware: file.labels.hardware, gpu: file.labels.gpu },
    environments: file.environments,
    environmentSubnets: Object.fromEntries(
      Object.entries(file.environment_networks).map(([env, n]) => [env, n.subnet]),
    ),
    nats: { subjectPrefix: file.nats.subject_prefix },
  };
}

/**
 * Validates a model given as file texts keyed by path relative to the model root
 * (`etc/phoenix_cluster.json`, `stacks/<stack>/phoenix.json`, ...). Pure: no disk, no clock.
 * The cluster file is required; the VM and LXC files may be absent (no guests of that kind).
 */
export function parseModel(files: Readonly<Record<string, string>>): ModelResult {
  const problems = new ModelProblems();
  const parseJson = (file: string): JsonDocument | undefined => {
    const text = files[file];
    if (text === undefined) return undefined;
    const parsed = parseJsonText(text);
    if (!parsed.ok) {
      problems.addFile(file, `invalid JSON: ${parsed.message}`, parsed.position);
      return undefined;
    }
    problems.registerDocument(file, parsed.doc);
    for (const d of parsed.doc.duplicateKeys)
      problems.add(file, d.path, "key appears twice in the same object (only the last one counts)");
    return parsed.doc;
  };

  let cluster: ClusterConfig | undefined;
  if (files[MODEL_FILES.cluster] === undefined) {
    problems.addFile(MODEL_FILES.cluster, "missing: a model needs its cluster file");
  } else {
    const doc = parseJson(MODEL_FILES.cluster);
    if (doc) {
      const result = clusterFileSchema.safeParse(doc.value);
      if (result.success) cluster = toCluster(result.data);
      else {
        problems.addZodIssues(MODEL_FILES.cluster, [], result.error.issues);
        cluster = toCluster(salvageClusterFile(doc.value));
      }
    }
  }

  const guests: Guest[] = [];
  let guestsComplete = true;
  for (const [kind, file] of [
    ["vm", MODEL_FILES.vms],
    ["lxc", MODEL_FILES.lxcs],
  ] as const) {
    if (files[file] === undefined) continue;
    const doc = parseJson(file);
    if (!doc) {
      guestsComplete = false;
      continue;
    }
    const read = readGuestFile(kind, doc.value, file, problems);
    guests.push(...read.guests);
    guestsComplete &&= read.complete;
  }

  const stacks: Stack[] = readStacks(files, problems, parseJson);
  checkModel(cluster, guests, stacks, problems, { guestsComplete });

  if (problems.count > 0 || !cluster) return { ok: false, errors: problems.toErrors() };
  const byName: Record<string, Stack> = {};
  for (const s of stacks) byName[s.name] = s;
  return { ok: true, model: { cluster, guests, stacks: byName } };
}

/** One INVALID_MODEL error carrying every problem as a detail, for callers that throw. */
export function invalidModelError(errors: readonly PhoenixError[]): PhoenixError {
  return new PhoenixError(
    ErrorCode.INVALID_MODEL,
    `the model is invalid: ${errors.length} problem${errors.length === 1 ? "" : "s"}`,
    { details: errors },
  );
}

/** The model, or throws one INVALID_MODEL error listing every problem. */
export function modelOrThrow(result: ModelResult): Model {
  if (result.ok) return result.model;
  throw invalidModelError(result.errors);
}
