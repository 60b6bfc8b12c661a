import type { PhoenixError } from "@phoenix/errors";
import { invalidModelError, loadModel, type Model, type ModelMemo } from "@phoenix/model";
import type { Logger } from "./logger";

/** The model directory as the coordinator reads it: freshly for plans and syncs, cached for hot paths. */
export interface ModelSource {
  readonly dir: string;
  /**
   * Reads and validates the model when the cached one is older than maxAgeMs (0: always).
   * Throws one INVALID_MODEL error listing every problem; the last good model stays cached.
   */
  load(maxAgeMs?: number): Promise<Model>;
  /** The last model that validated, if any. */
  readonly current: Model | undefined;
  /** Why the model on disk did not validate at the last read; undefined when it did. */
  readonly error: PhoenixError | undefined;
}

/** What decides which agent is which guest: guest names and vmids, and the adopt policy. */
function identityOf(model: Model): string {
  return JSON.stringify([model.cluster.swarm.adopt, model.guests.map((g) => [g.name, g.vmid])]);
}

/**
 * Creates the model source of a directory. `onGuestsChanged` runs when a newly read model lists other
 * guests (or another adopt policy) than the one before, so agents can be matched again.
 */
export function createModelSource(
  dir: string,
  logger: Logger,
  onGuestsChanged?: (model: Model) => void,
  loader: typeof loadModel = loadModel,
): ModelSource {
  let current: Model | undefined;
  let error: PhoenixError | undefined;
  let loadedAt = 0;
  let inFlight: Promise<Model> | undefined;
  /** A read that starts once the one in flight ends, for callers that need the files as they are now. */
  let queued: Promise<Model> | undefined;
  // Every load reads the files; unchanged files are not parsed and validated again.
  const memo: ModelMemo = {};

  const read = async (): Promise<Model> => {
    const result = await loader(dir, memo);
    loadedAt = Date.now();
    if (result.ok) {
      if (error) logger.info({ dir }, "the model validates again");
      const changed = !current || identityOf(current) !== identityOf(result.model);
      current = result.model;
      error = undefined;
      if (changed) onGuestsChanged?.(current);
      return current;
    }
    const err = invalidModelError(result.errors);
    if (!error || error.details.length !== err.details.length) {
      logger.warn({ dir, problems: result.errors.map((e) => e.describe()) }, "the model does not validate");
    }
    error = err;
    throw err;
  };

  const start = (): Promise<Model> => {
    const p: Promise<Model> = read().finally(() => {
      if (inFlight === p) inFlight = undefined;
    });
    inFlight = p;
    return p;
  };
  const settled = () => {};

  return {
    dir,
    load(maxAgeMs = 0) {
      if (current && !error && maxAgeMs > 0 && Date.now() - loadedAt < maxAgeMs)
        return Promise.resolve(current);
      if (!inFlight) return start();
      // A caller that accepts a cached model takes the read under way.
      if (maxAgeMs > 0) return inFlight;
      // The read under way may have read the files before this call (an edit just saved, then
      // `phoenix plan`): a fresh caller gets the next read, which callers meanwhile share.
      queued ??= inFlight.then(settled, settled).then(() => {
        queued = undefined;
        return inFlight ?? start();
      });
      return queued;
    },
    get current() {
      return current;
    },
    get error() {
      return error;
    },
  };
}
