import { Metadata } from "@grpc/grpc-js";
import { ClusterService, clientCredentials, createClient, type ServiceClient } from "@phoenix/proto";
import type { Connection } from "./settings";

/** The typed ClusterService client the commands use. */
export type ClusterClient = ServiceClient<typeof ClusterService>;

/** Connects to the coordinator with the API token in every call's metadata. */
export function connect(conn: Connection): ClusterClient {
  const metadata = () => {
    const md = new Metadata();
    if (conn.token) md.set("authorization", `Bearer ${conn.token}`);
    return md;
  };
  return createClient(
    ClusterService,
    conn.coordinator,
    clientCredentials(conn.tlsCa ? { caFile: conn.tlsCa } : {}),
    // Fail fast when the coordinator is not there instead of waiting for the whole deadline.
    { "grpc.initial_reconnect_backoff_ms": 200, "grpc.max_reconnect_backoff_ms": 1000 },
    metadata,
  );
}
