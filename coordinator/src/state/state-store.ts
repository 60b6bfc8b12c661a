import { chmod, mkdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { ErrorCode, PhoenixError } from "@phoenix/errors";
import { removeStaleTempFiles, writeFileAtomic } from "@phoenix/events";
import { formatJsonPath } from "@phoenix/model";
import { z } from "zod";

/** A guest adopted by policy (it was not in the model). */
export interface AdoptedGuest {
  name: string;
  vmid?: number;
  hostname: string;
  adoptedAt: string;
}

/**
 * Who asked for a stack environment. `model`: a guest's docker_stacks pins the stack, and sync
 * removes the environment once the model no longer declares it. `deploy`: an operator ran
 * `phoenix swarm deploy`; sync keeps it (and redeploys it when its files change) and only
 * `phoenix swarm rm` removes it.
 */
export type EnvironmentSource = "model" | "deploy";

/** What one deploy of a stack environment left (sync's or `swarm deploy`'s). */
export interface EnvironmentRecord {
  stack: string;
  env: string;
  /** "<env>_<stack>". */
  namespace: string;
  deployedAt: string;
  specHash: string;
  status: "deployed" | "failed";
  services: string[];
  /**
   * Each service as the deploy left it, by name (StackApplyResult.fingerprints): the next deploy
   * and every plan's check compare them with the swarm. Absent after a failed deploy.
   */
  fingerprints?: Record<string, string>;
}

/** A deployed stack environment as the state keeps it: the last deploy's record and who asked for it. */
export interface RecordedEnvironment extends EnvironmentRecord {
  source: EnvironmentSource;
}

/** One deploy, removal or sync, as the deploy history keeps it. */
export interface HistoryEntry {
  at: string;
  action: "deploy" | "remove" | "sync";
  stack?: string;
  env?: string;
  ok: boolean;
  error?: string;
  dockerWrites?: number;
}

/** What the coordinator keeps across restarts: adopted guests, deployed environments, deploy history. */
export interface CoordinatorState {
  version: 1;
  /** Adopted guests by agent id. */
  adopted: Record<string, AdoptedGuest>;
  /** Deployed environments by namespace "<env>_<stack>". */
  environments: Record<string, RecordedEnvironment>;
  /** Newest last, at most STATE_HISTORY_LIMIT entries. */
  history: HistoryEntry[];
  lastSync?: string;
}

/** The coordinator's state, kept in a directory and replaced atomically on every update. */
export interface StateStore {
  /** The state as last written (frozen). */
  get(): Readonly<CoordinatorState>;
  /**
   * Applies a synchronous change to a copy and writes it atomically; updates run one at a time
   * in call order. When the change or the write fails, the state and the file stay as they
   * were and the promise rejects with a PhoenixError.
   */
  update(mutate: (draft: CoordinatorState) => void): Promise<void>;
  /** The state directory (absolute). */
  readonly dir: string;
}

/** Name of the state file inside the state directory. */
export const STATE_FILE = "state.json";
/** Entries of CoordinatorState.history kept (the oldest go first). */
export const STATE_HISTORY_LIMIT = 1000;

const time = z.iso.datetime({ offset: true });
const name = z.string().min(1);
const environmentSchema = z.object({
  stack: name,
  env: name,
  namespace: name,
  deployedAt: time,
  specHash: z.string(),
  status: z.enum(["deployed", "failed"]),
  services: z.array(z.string()),
  fingerprints: z.record(z.string(), z.string()).optional(),
  source: z.enum(["model", "deploy"]),
});
const stateSchema = z.object({
  version: z.literal(1),
  adopted: z.record(
    z.string(),
    z.object({ name, vmid: z.number().int().positive().optional(), hostname: name, adoptedAt: time }),
  ),
  environments: z.record(z.string(), environmentSchema),
  history: z.array(
    z.object({
      at: time,
      action: z.enum(["deploy", "remove", "sync"]),
      stack: z.string().optional(),
      env: z.string().optional(),
      ok: z.boolean(),
      error: z.string().optional(),
      dockerWrites: z.number().int().nonnegative().optional(),
    }),
  ),
  lastSync: time.optional(),
});

// The schema and the interface must describe the same thing.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const schemaMatchesInterface: Same<z.infer<typeof stateSchema>, CoordinatorState> = true;
void schemaMatchesInterface;

/** What a state file may hold: files written before sources were recorded have environments without one. */
const fileSchema = stateSchema.extend({
  environments: z.record(
    z.string(),
    environmentSchema.extend({ source: environmentSchema.shape.source.optional() }),
  ),
});
type StateFile = z.infer<typeof fileSchema>;

/** Decides the source of an environment recorded before sources were (see {@link StateStoreOptions}). */
export type LegacySource = (environment: { stack: string; env: string }) => EnvironmentSource;

/** Options of {@link openStateStore}. */
export interface StateStoreOptions {
  /**
   * The source of each environment a state file recorded without one (written before sources
   * were); every such environment is `deploy` (kept, as it was) unless this says otherwise.
   */
  legacySource?: LegacySource;
}

function emptyState(): CoordinatorState {
  return { version: 1, adopted: {}, environments: {}, history: [] };
}

/** The problems of a value that is not a valid state, one PhoenixError per problem, with its JSON path. */
function stateProblems(value: unknown, file: string, schema: z.ZodType = stateSchema): PhoenixError[] {
  const r = schema.safeParse(value);
  if (r.success) return [];
  return r.error.issues.map(
    (i) =>
      new PhoenixError(ErrorCode.INVALID_CONFIG, i.message, {
        place: { file, path: formatJsonPath(i.path) },
      }),
  );
}

function corrupt(file: string, why: string, details: PhoenixError[] = [], cause?: unknown): PhoenixError {
  return new PhoenixError(
    ErrorCode.INVALID_CONFIG,
    `the coordinator state file is corrupt (${why}); it was left as it is: restore it, or move it away to start from an empty state`,
    { place: { file }, details, cause },
  );
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

async function readState(file: string): Promise<StateFile | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new PhoenixError(
      ErrorCode.INVALID_CONFIG,
      `cannot read the coordinator state: ${(err as Error).message}`,
      {
        place: { file },
        cause: err,
      },
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw corrupt(file, `not JSON: ${(err as Error).message}`, [], err);
  }
  const version = (value as { version?: unknown } | null)?.version;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw corrupt(file, "not a JSON object");
  }
  if (version !== 1) throw corrupt(file, `unsupported version ${JSON.stringify(version)}, expected 1`);
  const problems = stateProblems(value, file, fileSchema);
  if (problems.length > 0) {
    throw corrupt(file, `${problems.length} invalid ${problems.length === 1 ? "value" : "values"}`, problems);
  }
  return value as StateFile;
}

/** The state with a source on every environment; `migrated` when one had none. */
function withSources(
  loaded: StateFile,
  legacy: LegacySource,
): { state: CoordinatorState; migrated: boolean } {
  let migrated = false;
  const environments: Record<string, RecordedEnvironment> = {};
  for (const [namespace, e] of Object.entries(loaded.environments)) {
    if (e.source) environments[namespace] = { ...e, source: e.source };
    else {
      migrated = true;
      environments[namespace] = { ...e, source: legacy({ stack: e.stack, env: e.env }) };
    }
  }
  return { state: { ...loaded, environments }, migrated };
}

/**
 * Opens (creating it, mode 0700) the state directory and its state file. Temp files of an
 * interrupted write are removed; a corrupt state file is refused with one PhoenixError naming
 * it, and is not overwritten. Environments recorded without a source get one (see
 * {@link StateStoreOptions.legacySource}), written back at once.
 */
export async function openStateStore(dir: string, opts: StateStoreOptions = {}): Promise<StateStore> {
  const abs = resolve(dir);
  const file = join(abs, STATE_FILE);
  try {
    if (await mkdir(abs, { recursive: true, mode: 0o700 })) await chmod(abs, 0o700);
    await removeStaleTempFiles(file);
  } catch (err) {
    throw new PhoenixError(
      ErrorCode.INVALID_CONFIG,
      `cannot use the state directory: ${(err as Error).message}`,
      { place: { file: abs }, cause: err },
    );
  }

  let current: CoordinatorState;
  const write = async (state: CoordinatorState) => {
    try {
      await writeFileAtomic(file, `${JSON.stringify(state, null, 2)}\n`);
    } catch (err) {
      throw new PhoenixError(
        ErrorCode.INTERNAL,
        `cannot write the coordinator state: ${(err as Error).message}`,
        {
          place: { file },
          cause: err,
        },
      );
    }
  };

  const loaded = await readState(file);
  if (loaded) {
    const { state, migrated } = withSources(loaded, opts.legacySource ?? (() => "deploy"));
    if (migrated) await write(state);
    current = deepFreeze(state);
  } else {
    // Written at once, so an unwritable directory shows at startup rather than at the first deploy.
    current = emptyState();
    await write(current);
    deepFreeze(current);
  }

  let tail: Promise<unknown> = Promise.resolve();
  return {
    dir: abs,
    get: () => current,
    update(mutate) {
      const run = tail.then(async () => {
        const draft = structuredClone(current) as CoordinatorState;
        let result: unknown;
        try {
          result = mutate(draft);
        } catch (err) {
          throw PhoenixError.from(err);
        }
        if (result instanceof Promise) {
          result.catch(() => {});
          throw new PhoenixError(ErrorCode.INTERNAL, "a state update must change the draft synchronously");
        }
        if (Array.isArray(draft.history) && draft.history.length > STATE_HISTORY_LIMIT) {
          draft.history = draft.history.slice(-STATE_HISTORY_LIMIT);
        }
        const problems = stateProblems(draft, file);
        if (problems.length > 0) {
          throw new PhoenixError(ErrorCode.INTERNAL, "refusing to write an invalid coordinator state", {
            place: { file },
            details: problems,
          });
        }
        await write(draft);
        current = deepFreeze(draft);
      });
      tail = run.catch(() => {});
      return run;
    },
  };
}
