import type { EnvironmentRecord, EnvironmentSource, StateStore } from "./state-store";

/** Where deploys and removals of stack environments are recorded, with what the history keeps. */
export interface StateDeployJournal {
  /**
   * Records a deploy (its environment and a history entry). The environment keeps the source it
   * has; a new one is `deploy` until whoever asked for it says otherwise
   * ({@link setEnvironmentSource}), so an environment whose source was never settled is kept
   * rather than removed.
   */
  deployed(record: EnvironmentRecord, outcome: { error?: string; dockerWrites?: number }): Promise<void>;
  /** Forgets a removed environment and records the removal in the history. */
  removed(stack: string, env: string, namespace: string): Promise<void>;
  /** The fingerprints the last deploy of a namespace recorded (EnvironmentRecord.fingerprints), if any. */
  fingerprints(namespace: string): Readonly<Record<string, string>> | undefined;
  /**
   * Records fingerprints a check reported for a deployed environment recorded without them (by a
   * coordinator of a version before fingerprints); writes nothing for any other.
   */
  adoptFingerprints(namespace: string, fingerprints: Readonly<Record<string, string>>): Promise<void>;
}

/** The deploy journal over the state store. */
export function createDeployJournal(state: StateStore): StateDeployJournal {
  return {
    deployed: (record, outcome) =>
      state.update((d) => {
        d.environments[record.namespace] = {
          ...record,
          source: d.environments[record.namespace]?.source ?? "deploy",
        };
        d.history.push({
          at: record.deployedAt,
          action: "deploy",
          stack: record.stack,
          env: record.env,
          ok: record.status === "deployed",
          ...(outcome.error ? { error: outcome.error } : {}),
          ...(outcome.dockerWrites !== undefined ? { dockerWrites: outcome.dockerWrites } : {}),
        });
      }),
    removed: (stack, env, namespace) =>
      state.update((d) => {
        delete d.environments[namespace];
        d.history.push({ at: new Date().toISOString(), action: "remove", stack, env, ok: true });
      }),
    fingerprints: (namespace) => state.get().environments[namespace]?.fingerprints,
    adoptFingerprints: async (namespace, fingerprints) => {
      const lacks = (e: EnvironmentRecord | undefined) => e?.status === "deployed" && !e.fingerprints;
      if (!lacks(state.get().environments[namespace])) return;
      await state.update((d) => {
        const e = d.environments[namespace];
        if (e && lacks(e)) e.fingerprints = { ...fingerprints };
      });
    },
  };
}

/** Sets who asked for a recorded environment; writes nothing when it is not recorded or already has it. */
export async function setEnvironmentSource(
  state: StateStore,
  namespace: string,
  source: EnvironmentSource,
): Promise<void> {
  const now = state.get().environments[namespace];
  if (!now || now.source === source) return;
  await state.update((d) => {
    const e = d.environments[namespace];
    if (e) e.source = source;
  });
}
