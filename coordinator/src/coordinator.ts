import { readFile } from "node:fs/promises";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { ErrorCode, PhoenixError } from "@phoenix/errors";
import { createEventBus } from "@phoenix/events";
import type { Model } from "@phoenix/model";
import {
  AgentService,
  addService,
  ClusterService,
  defaultServerOptions,
  serverCredentials,
  timestampFromMs,
} from "@phoenix/proto";
import { updateAgents } from "./agent-updates";
import { createClusterApi } from "./api";
import { createApiAuth } from "./api-auth";
import { createClusterHandlers } from "./cluster-handlers";
import { type CoordinatorConfig, formatListen, type ListenAddress } from "./config";
import { createConvergence, legacyEnvironmentSource } from "./convergence";
import { createFleetActions, type Emit } from "./fleet-actions";
import { agentUpdateCommand } from "./fleet-notes";
import { matchGuest } from "./guest-match";
import { type InstallServer, startInstallServer } from "./install-server";
import type { Logger } from "./logger";
import { createManagerAccess } from "./manager-access";
import { createModelSource } from "./model-source";
import { createObserver } from "./observe";
import { createReconciler } from "./reconcile";
import { type AgentMatcher, createRegistry, type Registry } from "./registry";
import { createServiceOps } from "./service-ops";
import { createDeployJournal, openStateStore } from "./state";
import { createWriteLock } from "./write-lock";

/** A running coordinator. */
export interface Coordinator {
  /** Where the gRPC server (AgentService + ClusterService) listens, port resolved. */
  readonly address: ListenAddress;
  /** Where the install HTTP server listens, when configured. */
  readonly httpAddress: ListenAddress | undefined;
  readonly registry: Registry;
  /** Says Goodbye to the agents, stops serving, flushes events. */
  stop(message?: string): Promise<void>;
}

/** The cluster name to run with when the model does not validate at start (its name is still read if it can be). */
async function clusterNameOf(
  modelDir: string,
  model: Model | undefined,
): Promise<{ name: string; prefix?: string }> {
  if (model) return { name: model.cluster.name, prefix: model.cluster.nats.subjectPrefix };
  try {
    const raw = JSON.parse(await readFile(join(modelDir, "etc/phoenix_cluster.json"), "utf8")) as {
      name?: unknown;
    };
    if (typeof raw.name === "string" && /^[a-zA-Z0-9][a-zA-Z0-9_-]*$/.test(raw.name))
      return { name: raw.name };
  } catch {
    // unreadable: refused below
  }
  throw new PhoenixError(
    ErrorCode.INVALID_MODEL,
    "the model does not validate and its cluster name cannot be read: fix etc/phoenix_cluster.json first",
  );
}

function bind(server: grpc.Server, address: ListenAddress, creds: grpc.ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) =>
    server.bindAsync(formatListen(address), creds, (err, port) =>
      err
        ? reject(
            new PhoenixError(
              ErrorCode.INVALID_CONFIG,
              `--listen ${formatListen(address)}: cannot listen (${err.message})`,
              {
                cause: err,
              },
            ),
          )
        : resolve(port),
    ),
  );
}

/** Starts every part of the coordinator: state, events, registry, API, install server, drift checks. */
export async function startCoordinator(config: CoordinatorConfig, logger: Logger): Promise<Coordinator> {
  let rematch = () => {};
  const models = createModelSource(config.modelDir, logger, () => rematch());
  const initial = await models.load().catch((err) => {
    logger.warn({ error: PhoenixError.from(err).describe() }, "starting with a model that does not validate");
    return undefined;
  });
  const cluster = await clusterNameOf(config.modelDir, initial);
  const state = await openStateStore(config.stateDir, { legacySource: legacyEnvironmentSource(initial) });
  const events = await createEventBus({
    cluster: cluster.name,
    ...(cluster.prefix ? { subjectPrefix: cluster.prefix } : {}),
    ...(config.natsUrl ? { natsUrl: config.natsUrl } : {}),
    historyFile: join(config.stateDir, "events.jsonl"),
    logger,
  });
  const emit: Emit = (data, subject) => {
    try {
      events.emit(data, subject);
    } catch (err) {
      logger.warn({ err: (err as Error).message, type: data.case }, "an event could not be recorded");
    }
  };
  const lock = createWriteLock();

  const match: AgentMatcher = async (agentId, inventory) => {
    const model = models.current;
    const guests = model?.guests ?? [];
    const policy = model?.cluster.swarm.adopt ?? "none";
    const host = inventory.host;
    const out = matchGuest(
      { agentId, hostname: host?.hostname ?? "", ...(host?.vmid !== undefined ? { vmid: host.vmid } : {}) },
      guests,
      state.get().adopted,
      policy,
    );
    if (out.adopt) {
      const adopted = out.adopt;
      await state.update((d) => {
        d.adopted[agentId] = adopted;
      });
      logger.info({ agentId, guest: adopted.name, policy }, "guest adopted by the cluster policy");
    }
    return out.match;
  };

  let reconcilerTouch: (guest: string, reason: string) => void = () => {};
  const registry = createRegistry({
    enrollmentToken: config.enrollmentToken,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    heartbeatTtlMs: config.heartbeatTtlMs,
    heartbeatGraceMs: config.heartbeatGraceMs,
    cluster: () => models.current?.cluster.name ?? cluster.name,
    match,
    logger: logger.child({ component: "registry" }),
    hooks: {
      connected(agent, how) {
        emit(
          {
            case: "agentConnected",
            value: {
              guest: agent.name,
              hostname: agent.hostname,
              agentVersion: agent.agentVersion,
              adopted: agent.adopted,
              ...(agent.vmid !== undefined ? { vmid: agent.vmid } : {}),
            },
          },
          agent.name,
        );
        if (!how.resumed) reconcilerTouch(agent.guest, "agent registered");
      },
      disconnected(agent, reason) {
        emit({ case: "agentDisconnected", value: { guest: agent.name, reason } }, agent.name);
      },
      offline(agent, lastSeen) {
        emit(
          { case: "agentOffline", value: { guest: agent.name, lastSeen: timestampFromMs(lastSeen) } },
          agent.name,
        );
      },
      inventoryChanged(agent, changed) {
        emit({ case: "inventoryChanged", value: { guest: agent.name, changed } }, agent.name);
        reconcilerTouch(agent.guest, `inventory changed (${changed.join(", ") || "all"})`);
      },
      dockerChanged(agent) {
        reconcilerTouch(agent.guest, "swarm membership changed");
      },
    },
  });
  rematch = () => {
    registry
      .rematch()
      .catch((err) =>
        logger.warn({ err: (err as Error).message }, "matching agents to the new model failed"),
      );
  };
  const managers = createManagerAccess(registry);
  const observer = createObserver(registry, managers);
  const actions = createFleetActions({
    registry,
    managers,
    emit,
    modelDir: config.modelDir,
    logger,
    journal: createDeployJournal(state),
  });
  const convergence = createConvergence({
    models,
    state,
    registry,
    managers,
    observer,
    actions,
    emit,
    lock,
    logger,
    ...(config.httpListen
      ? { agentUpdateCommand: agentUpdateCommand(config.httpListen.port, Boolean(config.tls)) }
      : {}),
  });
  const reconciler = createReconciler({
    debounceMs: config.reconcileDebounceMs,
    run: (guests, reason) => convergence.reconcileGuests(guests, reason),
    logger,
  });
  if (config.autoReconcile) reconcilerTouch = (guest, reason) => reconciler.touch(guest, reason);

  const handlers = createClusterHandlers({
    models,
    registry,
    state,
    events,
    services: createServiceOps(managers),
    convergence,
    observe: (signal) => observer.observe(signal),
    updateAgents: (guests, signal) =>
      updateAgents({ registry, agentBundle: config.agentBundle, emit, logger, lock }, guests, signal),
  });
  const server = new grpc.Server(defaultServerOptions);
  addService(server, AgentService, { session: (call) => registry.session(call) });
  addService(
    server,
    ClusterService,
    createClusterApi(handlers, createApiAuth(config.apiToken, config.readOnlyToken), logger),
  );
  let port: number;
  try {
    port = await bind(server, config.listen, serverCredentials(config.tls ?? {}));
  } catch (err) {
    await events.close();
    throw err;
  }
  const address = { host: config.listen.host, port };

  let install: InstallServer | undefined;
  if (config.httpListen) {
    try {
      install = await startInstallServer({
        listen: config.httpListen,
        agentBundle: config.agentBundle,
        installScript: config.installScript,
        ...(config.tls ? { tls: { certFile: config.tls.certFile, keyFile: config.tls.keyFile } } : {}),
        logger,
        health: () => {
          const s = registry.stats();
          return {
            cluster: models.current?.cluster.name ?? cluster.name,
            agentsOnline: s.online,
            agentsKnown: s.known,
          };
        },
      });
    } catch (err) {
      server.forceShutdown();
      await events.close();
      throw err;
    }
  }

  const drift =
    config.driftIntervalMs > 0
      ? setInterval(() => {
          if (lock.holder) return;
          convergence
            .checkDrift("periodic check")
            .catch((err) => logger.debug({ err: (err as Error).message }, "drift check failed"));
        }, config.driftIntervalMs)
      : undefined;
  drift?.unref();

  logger.info(
    {
      cluster: cluster.name,
      grpc: formatListen(address),
      // With tls, the install endpoint is HTTPS as well.
      http: install ? formatListen(install.address) : undefined,
      tls: Boolean(config.tls),
      nats: Boolean(config.natsUrl),
      model: config.modelDir,
      modelValid: Boolean(initial),
      state: config.stateDir,
    },
    "coordinator listening",
  );

  let stopped: Promise<void> | undefined;
  return {
    address,
    httpAddress: install?.address,
    registry,
    stop(message) {
      stopped ??= (async () => {
        clearInterval(drift);
        await reconciler.close();
        await registry.close(message);
        // Closing the bus ends event followers, so the server can then finish its calls.
        await events.close();
        await new Promise<void>((resolve) => {
          const t = setTimeout(() => {
            server.forceShutdown();
            resolve();
          }, 2_000);
          server.tryShutdown(() => {
            clearTimeout(t);
            resolve();
          });
        });
        await install?.close();
      })();
      return stopped;
    },
  };
}
