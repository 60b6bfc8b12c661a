// Docker Engine API response shapes the agent's commands read, with the API's own field names.
// Only the fields read are typed; Docker sends more.

/** `GET /info`, swarm part and version. */
export interface EngineInfo {
  ServerVersion?: string;
  Name?: string;
  Swarm?: {
    NodeID?: string;
    NodeAddr?: string;
    LocalNodeState?: string;
    ControlAvailable?: boolean;
    Error?: string;
    RemoteManagers?: { NodeID: string; Addr: string }[] | null;
    Cluster?: { ID?: string };
  };
}

/** `GET /swarm`. */
export interface EngineSwarm {
  ID: string;
  JoinTokens: { Worker: string; Manager: string };
}

/** Spec of a swarm node (`docker node update` writes it whole). */
export interface EngineNodeSpec {
  Name?: string;
  Labels?: Record<string, string>;
  Role?: string;
  Availability?: string;
  [field: string]: unknown;
}

/** `GET /nodes/{id}`. */
export interface EngineNode {
  ID: string;
  Version: { Index: number };
  Spec: EngineNodeSpec;
  Description?: { Hostname?: string; Engine?: { EngineVersion?: string } };
  Status?: { State?: string; Addr?: string; Message?: string };
  ManagerStatus?: { Leader?: boolean; Reachability?: string; Addr?: string };
}

/** A service spec as stored; `docker service update` writes it whole. */
export interface EngineServiceSpec {
  Name: string;
  Labels?: Record<string, string>;
  TaskTemplate?: { ContainerSpec?: { Image?: string } } & Record<string, unknown>;
  Mode?: {
    Replicated?: { Replicas?: number };
    Global?: object;
    ReplicatedJob?: object;
    GlobalJob?: object;
  };
  [field: string]: unknown;
}

/** `GET /services?status=true`. */
export interface EngineService {
  ID: string;
  Version: { Index: number };
  UpdatedAt?: string;
  Spec: EngineServiceSpec;
  Endpoint?: { Ports?: { Protocol?: string; TargetPort?: number; PublishedPort?: number }[] };
  ServiceStatus?: { RunningTasks?: number; DesiredTasks?: number };
}

/** `GET /tasks`. */
export interface EngineTask {
  ID: string;
  ServiceID: string;
  Slot?: number;
  NodeID?: string;
  DesiredState?: string;
  CreatedAt?: string;
  UpdatedAt?: string;
  Status?: {
    State?: string;
    Message?: string;
    Err?: string;
    ContainerStatus?: { ContainerID?: string };
  };
  NetworksAttachments?: { Addresses?: string[] }[];
}
