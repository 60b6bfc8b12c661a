import { ErrorCode, PhoenixError } from "@phoenix/errors";
import type { LogLine, ServiceSummary, TaskSummary } from "@phoenix/proto";
import { createChannel } from "./async-channel";
import type { ManagerAccess } from "./manager-access";
import { resultOf } from "./registry";

/** Reads and scales swarm services through a manager's agent. */
export interface ServiceOps {
  list(namespace: string, signal?: AbortSignal): Promise<ServiceSummary[]>;
  tasks(service: string, signal?: AbortSignal): Promise<TaskSummary[]>;
  /** Log lines as the agent streams them; with follow, until the caller stops or the deadline passes. */
  logs(service: string, o: { follow: boolean; tail: number; signal?: AbortSignal }): AsyncIterable<LogLine>;
  scale(service: string, replicas: number): Promise<{ previous: number; replicas: number }>;
}

const READ_TIMEOUT_MS = 30_000;
/** How long a followed log stream may run before the caller has to ask again. */
const FOLLOW_TIMEOUT_MS = 6 * 3_600_000;

function needName(what: string, value: string): void {
  if (!value.trim()) throw new PhoenixError(ErrorCode.INVALID_ARGUMENT, `a ${what} name is needed`);
}

/** Creates the service operations. */
export function createServiceOps(managers: ManagerAccess): ServiceOps {
  const withSignal = (timeoutMs: number, signal?: AbortSignal) =>
    signal ? { timeoutMs, signal } : { timeoutMs };
  return {
    async list(namespace, signal) {
      const { result } = await managers.send(
        { case: "serviceList", value: { namespace } },
        withSignal(READ_TIMEOUT_MS, signal),
      );
      return [...resultOf(result, "serviceList").services].sort((a, b) =>
        a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
      );
    },
    async tasks(service, signal) {
      needName("service", service);
      const { result } = await managers.send(
        { case: "taskList", value: { service } },
        withSignal(READ_TIMEOUT_MS, signal),
      );
      return resultOf(result, "taskList").tasks;
    },
    logs(service, o) {
      needName("service", service);
      const lines = createChannel<LogLine>();
      const opts = {
        ...withSignal(o.follow ? FOLLOW_TIMEOUT_MS : READ_TIMEOUT_MS, o.signal),
        onProgress: (p: { log?: LogLine }) => {
          if (p.log) lines.push(p.log);
        },
      };
      managers.send({ case: "serviceLogs", value: { service, follow: o.follow, tail: o.tail } }, opts).then(
        () => lines.close(),
        (err) => lines.close(o.signal?.aborted ? undefined : err),
      );
      return lines;
    },
    async scale(service, replicas) {
      needName("service", service);
      const { result } = await managers.send(
        { case: "serviceScale", value: { service, replicas } },
        { timeoutMs: READ_TIMEOUT_MS },
      );
      const r = resultOf(result, "serviceScale");
      return { previous: r.previous, replicas: r.replicas };
    },
  };
}
