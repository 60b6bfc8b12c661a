import { ErrorCode, PhoenixError } from "@phoenix/errors";
import type { Model } from "@phoenix/model";
import { NodeAvailability, NodeRole, SwarmLocalState } from "@phoenix/proto";
import type { RetryStep, RunStep } from "./executor";
import { type FleetActions, roleWord, workKey } from "./fleet-actions";
import type { PlanStep } from "./planner";
import { type Registry, resultOf } from "./registry";

const AVAILABILITY: Record<string, NodeAvailability> = {
  active: NodeAvailability.ACTIVE,
  pause: NodeAvailability.PAUSE,
  drain: NodeAvailability.DRAIN,
};

/** What the step runner needs: the actions, the registry and the model the plan was made from. */
export interface StepRunnerDeps {
  actions: FleetActions;
  registry: Registry;
  model: Model;
  /** Id of the sync or reconcile: scopes the idempotency keys of its commands. */
  runId: string;
}

/** How long a manager waits for the node of a guest that left to show down before removing it. */
const LEAVE_DOWN_MS = 60_000;

/** How long a step whose agent went away waits for it before failing. */
export const AGENT_RETURN_MS = 20_000;

/** Runs planner steps through the fleet actions; node ids learned by joins serve later steps of the run. */
export function createStepRunner(deps: StepRunnerDeps): {
  run: RunStep<PlanStep>;
  retry: RetryStep<PlanStep>;
} {
  const { actions, registry, model, runId } = deps;
  const joined = new Map<string, string>();

  const nodeIdOf = (guest: string, given: string | undefined): string => {
    const id = given ?? joined.get(guest) ?? registry.get(guest)?.docker?.nodeId;
    if (!id) {
      throw new PhoenixError(ErrorCode.CONFLICT, `${guest} has no swarm node id yet: it did not join`, {
        place: { node: guest },
      });
    }
    return id;
  };

  const run: RunStep<PlanStep> = async (step, c) => {
    const ctx = { runId, progress: c.progress, ...(c.signal ? { signal: c.signal } : {}) };
    switch (step.kind) {
      case "init-swarm": {
        const r = await actions.initSwarm(ctx, step.guest.name);
        joined.set(step.guest.name, r.nodeId);
        return r.already
          ? `already a swarm manager (node ${r.nodeId})`
          : `swarm initialised, node ${r.nodeId}`;
      }
      case "join": {
        const role = step.role === "manager" ? NodeRole.MANAGER : NodeRole.WORKER;
        const r = await actions.joinSwarm(ctx, step.guest.name, role);
        joined.set(step.guest.name, r.nodeId);
        return `${r.already ? "already in the swarm" : `joined as ${roleWord(role)}`}, node ${r.nodeId}`;
      }
      case "promote":
      case "demote": {
        const role = step.kind === "promote" ? NodeRole.MANAGER : NodeRole.WORKER;
        const r = await actions.updateNode(ctx, step.guest.name, step.nodeId, { role });
        return r.changed ? `now a ${roleWord(role)}` : `already a ${roleWord(role)}`;
      }
      case "leave": {
        const left = await registry.send(
          step.guest.name,
          { case: "swarmLeave", value: { force: false } },
          {
            timeoutMs: 60_000,
            idempotencyKey: workKey(ctx, "swarm.leave", { guest: step.guest.name, node: step.nodeId }),
            ...(c.signal ? { signal: c.signal } : {}),
          },
        );
        registry.noteDocker(step.guest.name, {
          swarmState: SwarmLocalState.INACTIVE,
          manager: false,
          nodeId: "",
        });
        // The node entry stays behind on the managers until one removes it, once it shows down.
        const removed = await actions.removeNode(ctx, step.guest.name, step.nodeId, {
          waitDownMs: LEAVE_DOWN_MS,
        });
        const how = resultOf(left, "swarmLeave").already ? "was not in the swarm" : "left the swarm";
        return removed.already ? how : `${how}, node ${step.nodeId} removed`;
      }
      case "remove-node": {
        const r = await actions.removeNode(ctx, step.guest.name, step.nodeId);
        return r.already ? `node ${step.nodeId} was removed already` : `stale node ${step.nodeId} removed`;
      }
      case "labels": {
        const nodeId = nodeIdOf(step.guest.name, step.nodeId);
        const r = await actions.updateNode(ctx, step.guest.name, nodeId, {
          labelsAdd: step.set,
          labelsRemove: step.remove,
        });
        return r.changed ? "labels updated" : "labels already as wanted";
      }
      case "availability": {
        const nodeId = nodeIdOf(step.guest.name, step.nodeId);
        const availability = AVAILABILITY[step.availability] ?? NodeAvailability.ACTIVE;
        const r = await actions.updateNode(ctx, step.guest.name, nodeId, { availability });
        return r.changed ? `availability ${step.availability}` : `already ${step.availability}`;
      }
      case "create-network": {
        const r = await actions.ensureEnvironmentNetwork(
          ctx,
          step.env,
          model.cluster.environmentSubnets[step.env],
        );
        return r.created ? "network created" : "network exists";
      }
      case "deploy-stack": {
        const { result } = await actions.deployStack(ctx, model, step.stack, step.env, {
          specHash: step.specHash,
        });
        if (!result.ok) {
          const err = result.error;
          throw new PhoenixError(
            ErrorCode.DEPLOY_FAILED,
            err?.message ?? `${step.namespace} did not deploy`,
            {
              place: { stack: step.namespace },
            },
          );
        }
        const writes = result.apply?.dockerWrites ?? 0;
        return `${result.apply?.services.length ?? 0} service(s) running, ${writes} Docker write(s)`;
      }
      case "remove-stack": {
        const r = await actions.removeStack(ctx, step.stack, step.env, step.namespace);
        return `${r.removed.length} object(s) removed`;
      }
    }
  };

  const retry: RetryStep<PlanStep> = async (step, err, signal) => {
    if (err.code !== ErrorCode.AGENT_OFFLINE || !("guest" in step)) return false;
    await registry.waitOnline(step.guest.name, AGENT_RETURN_MS, signal);
    return true;
  };

  return { run, retry };
}
