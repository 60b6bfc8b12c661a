import type { MessageInitShape } from "@bufbuild/protobuf";
import { ErrorCode, PhoenixError } from "@phoenix/errors";
import type { EventBus } from "@phoenix/events";
import {
  type ClusterService,
  type GetStatusResponseSchema,
  NodeRole,
  type PlanResponseSchema,
  type ServiceImpl,
  type ServiceSummary,
  type StackSummarySchema,
  type SwarmSummarySchema,
  timestampDate,
  timestampFromDate,
  toErrorInfo,
  type UpdateAgentsResponseSchema,
} from "@phoenix/proto";
import { VERSION } from "./config";
import type { Convergence } from "./convergence";
import { clashText } from "./identity-clash";
import type { ModelSource } from "./model-source";
import { buildNodes, findNode } from "./node-view";
import type { FleetSnapshot, ObservedSwarm } from "./observe";
import type { Registry } from "./registry";
import type { ServiceOps } from "./service-ops";
import type { CoordinatorState, StateStore } from "./state";

/** What the ClusterService handlers read and call. */
export interface ClusterHandlerDeps {
  models: ModelSource;
  registry: Registry;
  state: StateStore;
  events: EventBus;
  services: ServiceOps;
  convergence: Convergence;
  observe(signal?: AbortSignal): Promise<FleetSnapshot>;
  /** `phoenix agents update`: see agent-updates.ts. */
  updateAgents(guests: readonly string[], signal?: AbortSignal): AsyncIterable<UpdateAgentsResponseInit>;
}

type UpdateAgentsResponseInit = MessageInitShape<typeof UpdateAgentsResponseSchema>;

type SwarmSummaryInit = MessageInitShape<typeof SwarmSummarySchema>;
type StackSummaryInit = MessageInitShape<typeof StackSummarySchema>;

/** Managers, workers and leader of an observed swarm. */
export function swarmSummary(swarm: ObservedSwarm | undefined): SwarmSummaryInit {
  if (!swarm) return { initialized: false };
  const managers = swarm.nodes.filter((n) => n.role === NodeRole.MANAGER);
  return {
    initialized: true,
    clusterId: swarm.clusterId,
    managers: managers.length,
    workers: swarm.nodes.length - managers.length,
    leader: managers.find((n) => n.leader)?.hostname ?? "",
  };
}

function byName<T extends { name?: string; namespace?: string }>(a: T, b: T): number {
  const x = a.namespace ?? a.name ?? "";
  const y = b.namespace ?? b.name ?? "";
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Deployed stack environments from the state, with task counts from the swarm when it answers. */
export function stackSummaries(
  environments: CoordinatorState["environments"],
  services: readonly ServiceSummary[] | undefined,
  pinned: ReadonlySet<string>,
): StackSummaryInit[] {
  return Object.values(environments)
    .map((e) => {
      const own = (services ?? []).filter((s) => s.namespace === e.namespace);
      // Services removed by hand since the deploy: the next plan deploys the stack again.
      const missing =
        services && e.status === "deployed" ? e.services.filter((n) => !own.some((s) => s.name === n)) : [];
      return {
        stack: e.stack,
        env: e.env,
        namespace: e.namespace,
        services: services ? own.length : e.services.length,
        running: own.reduce((n, s) => n + s.running, 0),
        desired: own.reduce((n, s) => n + s.desired, 0),
        deployedAt: timestampFromDate(new Date(e.deployedAt)),
        status: missing.length > 0 ? "incomplete" : e.status,
        pinned: pinned.has(e.stack),
      };
    })
    .sort(byName);
}

/** What scaling a service of a stack deployment Phoenix made lasts until; undefined for other services. */
export function scaleNote(
  environments: CoordinatorState["environments"],
  service: string,
): string | undefined {
  const e = Object.values(environments).find((d) => d.services.includes(service));
  if (!e) return undefined;
  return `${service} belongs to ${e.namespace}, which Phoenix deployed: \`phoenix plan\` shows the new count as a difference, and the next sync or \`phoenix swarm deploy ${e.stack} --env ${e.env}\` sets its files' count again`;
}

/** The ClusterService methods, before authentication (see createClusterApi). */
export function createClusterHandlers(deps: ClusterHandlerDeps): ServiceImpl<typeof ClusterService> {
  const { models, registry, state, events, services, convergence } = deps;

  const pinnedStacks = () => new Set((models.current?.guests ?? []).flatMap((g) => g.dockerStacks));
  const servicesOrUndefined = async (signal?: AbortSignal) => {
    try {
      return await services.list("", signal);
    } catch {
      return undefined;
    }
  };
  const nodes = async (signal?: AbortSignal) => {
    const model = await models.load(2_000).catch(() => models.current);
    const snapshot = await deps.observe(signal);
    const desired = await convergence.desiredNodes(snapshot).catch(() => undefined);
    const servicesByNode = snapshot.swarm
      ? await convergence.servicesByNode(signal).catch(() => undefined)
      : undefined;
    return buildNodes({
      agents: snapshot.agents,
      ...(model ? { model } : {}),
      ...(snapshot.swarm ? { swarm: snapshot.swarm } : {}),
      ...(desired ? { desired } : {}),
      ...(servicesByNode ? { servicesByNode } : {}),
    });
  };

  return {
    async getStatus(_req, ctx) {
      let modelError: PhoenixError | undefined;
      await models.load().catch((err) => {
        modelError = PhoenixError.from(err);
      });
      const model = models.current;
      const snapshot = await deps.observe(ctx.signal);
      const stats = registry.stats();
      const bus = events.stats();
      const st = state.get();
      let pendingSteps = 0;
      // The plan's warnings include the clashes; without a plan (an invalid model), the clashes alone.
      let warnings = (snapshot.clashes ?? []).map(clashText);
      if (!modelError) {
        await convergence.plan(snapshot, model).then(
          (p) => {
            pendingSteps = p.steps?.length ?? 0;
            warnings = p.warnings ?? [];
          },
          (err) => {
            // A plan refused for the model (a stack it would deploy does not render) is its error too.
            const pe = PhoenixError.from(err);
            if (pe.code === ErrorCode.INVALID_MODEL) modelError = pe;
          },
        );
      }
      const res: MessageInitShape<typeof GetStatusResponseSchema> = {
        cluster: model?.cluster.name ?? "",
        version: VERSION,
        modelDir: models.dir,
        swarm: swarmSummary(snapshot.swarm),
        guests: model?.guests.length ?? 0,
        agentsOnline: stats.online,
        agentsKnown: stats.known,
        stacks: stackSummaries(st.environments, await servicesOrUndefined(ctx.signal), pinnedStacks()),
        natsConnected: bus.natsConnected,
        eventsDropped: BigInt(bus.dropped),
        lastEventSeq: bus.lastSeq,
        pendingSteps,
        warnings,
      };
      if (modelError) res.modelError = toErrorInfo(modelError);
      if (st.lastSync) res.lastSync = timestampFromDate(new Date(st.lastSync));
      return res;
    },

    async listNodes(_req, ctx) {
      return { nodes: await nodes(ctx.signal) };
    },

    async getNode(req, ctx) {
      if (!req.node.trim())
        throw new PhoenixError(
          ErrorCode.INVALID_ARGUMENT,
          "a node name, hostname, vmid or node id is needed",
        );
      const node = findNode(await nodes(ctx.signal), req.node.trim());
      if (!node) {
        throw new PhoenixError(ErrorCode.NOT_FOUND, `no guest, agent or swarm node is called ${req.node}`, {
          place: { node: req.node },
        });
      }
      return { node };
    },

    async plan(_req, ctx): Promise<MessageInitShape<typeof PlanResponseSchema>> {
      const model = await models.load();
      const snapshot = await deps.observe(ctx.signal);
      return convergence.plan(snapshot, model);
    },

    sync(req, ctx) {
      return convergence.sync({ dryRun: req.dryRun, signal: ctx.signal });
    },

    async swarmInit(req, ctx) {
      return convergence.swarmInit(req.node.trim(), ctx.signal);
    },

    async swarmJoin(req, ctx) {
      if (!req.node.trim())
        throw new PhoenixError(ErrorCode.INVALID_ARGUMENT, "name the guest to join (name, hostname or vmid)");
      return convergence.swarmJoin(req.node.trim(), ctx.signal);
    },

    async getSwarmStatus(_req, ctx) {
      const snapshot = await deps.observe(ctx.signal);
      if (!snapshot.swarm && snapshot.swarmError) throw snapshot.swarmError;
      return { swarm: swarmSummary(snapshot.swarm), nodes: snapshot.swarm?.nodes ?? [] };
    },

    deployStack(req, ctx) {
      return convergence.deploy({
        stack: req.stack,
        env: req.env,
        noRollback: req.noRollback,
        dryRun: req.dryRun,
        signal: ctx.signal,
      });
    },

    async removeStack(req) {
      return convergence.remove(req.stack, req.env);
    },

    async listStacks(_req, ctx) {
      const svcs = await servicesOrUndefined(ctx.signal);
      return { stacks: stackSummaries(state.get().environments, svcs, pinnedStacks()) };
    },

    async listServices(req, ctx) {
      return { services: await services.list(req.namespace, ctx.signal) };
    },

    async listTasks(req, ctx) {
      return { tasks: await services.tasks(req.service, ctx.signal) };
    },

    async *serviceLogs(req, ctx) {
      for await (const line of services.logs(req.service, {
        follow: req.follow,
        tail: req.tail,
        signal: ctx.signal,
      })) {
        yield { line };
      }
    },

    async scaleService(req) {
      const scaled = await services.scale(req.service, req.replicas);
      const note = scaleNote(state.get().environments, req.service);
      return { ...scaled, ...(note ? { note } : {}) };
    },

    async *watchEvents(req, ctx) {
      const opts: Parameters<EventBus["watch"]>[0] = {
        follow: req.follow,
        types: [...req.types],
        signal: ctx.signal,
      };
      if (req.afterSeq > 0n) opts.afterSeq = req.afterSeq;
      else if (req.sinceTime) opts.sinceTime = timestampDate(req.sinceTime);
      for await (const event of events.watch(opts)) yield { event };
    },

    async *updateAgents(req, ctx) {
      yield* deps.updateAgents(req.guests.map((g) => g.trim()).filter(Boolean), ctx.signal);
    },
  };
}
