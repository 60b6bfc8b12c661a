// Docker Engine API shapes that a stack deploy sends, with the API's own JSON field names.
// Only the fields that compose conversion can produce are listed; a field that is absent means
// "not set" exactly as an omitted field does in the Engine API.

/** Labels and other string maps of the Engine API. */
export type StringMap = Record<string, string>;

/** `POST /networks/create` body for a network a stack creates. */
export interface NetworkCreate {
  Name: string;
  Driver: string;
  Labels: StringMap;
  Options?: StringMap;
  Internal?: boolean;
  Attachable?: boolean;
  IPAM?: { Driver?: string; Config?: { Subnet?: string }[] };
}

/** Engine API `Driver` (secret driver, templating driver, log driver). */
export interface Driver {
  Name?: string;
  Options?: StringMap;
}

/** `POST /secrets/create` body. `Data` is base64, as on the wire. */
export interface SecretSpec {
  Name: string;
  Labels: StringMap;
  Data?: string;
  Driver?: Driver;
  Templating?: Driver;
}

/** `POST /configs/create` body. `Data` is base64, as on the wire. */
export interface ConfigSpec {
  Name: string;
  Labels: StringMap;
  Data?: string;
  Templating?: Driver;
}

/** Where a secret or config appears inside the container. */
export interface FileTarget {
  Name: string;
  UID: string;
  GID: string;
  Mode: number;
}

/** A service's reference to a secret; `SecretID` is filled in by whoever applies the spec. */
export interface SecretReference {
  File: FileTarget;
  SecretID?: string;
  SecretName: string;
}

/** A service's reference to a config; `Runtime` marks a credential-spec config. */
export interface ConfigReference {
  File?: FileTarget;
  Runtime?: Record<string, never>;
  ConfigID?: string;
  ConfigName: string;
}

/** Engine API mount (`ContainerSpec.Mounts[]`). */
export interface Mount {
  Type: "volume" | "bind" | "tmpfs" | "npipe" | "cluster";
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: { Propagation?: string };
  VolumeOptions?: { NoCopy?: boolean; Labels?: StringMap; DriverConfig?: Driver };
  TmpfsOptions?: { SizeBytes?: number };
  ClusterOptions?: Record<string, never>;
}

/** Container healthcheck; durations in nanoseconds. */
export interface HealthConfig {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

/** Windows credential spec (file, registry or config). */
export interface CredentialSpec {
  Config?: string;
  File?: string;
  Registry?: string;
}

/** `ContainerSpec.Ulimits[]`. */
export interface Ulimit {
  Name: string;
  Soft: number;
  Hard: number;
}

/** `TaskTemplate.ContainerSpec`. */
export interface ContainerSpec {
  Image: string;
  Labels: StringMap;
  Command?: string[];
  Args?: string[];
  Hostname?: string;
  Env?: string[];
  Dir?: string;
  User?: string;
  Privileges?: { CredentialSpec?: CredentialSpec };
  Init?: boolean;
  TTY?: boolean;
  OpenStdin?: boolean;
  ReadOnly?: boolean;
  Mounts?: Mount[];
  StopSignal?: string;
  StopGracePeriod?: number;
  Healthcheck?: HealthConfig;
  Hosts?: string[];
  DNSConfig?: { Nameservers?: string[]; Search?: string[]; Options?: string[] };
  Secrets?: SecretReference[];
  Configs?: ConfigReference[];
  Isolation?: string;
  Sysctls?: StringMap;
  CapabilityAdd?: string[];
  CapabilityDrop?: string[];
  Ulimits?: Ulimit[];
  OomScoreAdj?: number;
}

/** `TaskTemplate.Resources.*.GenericResources[]`. */
export interface GenericResource {
  DiscreteResourceSpec?: { Kind: string; Value: number };
}

/** `TaskTemplate.Resources`. */
export interface ResourceRequirements {
  Limits?: { NanoCPUs?: number; MemoryBytes?: number; Pids?: number };
  Reservations?: { NanoCPUs?: number; MemoryBytes?: number; GenericResources?: GenericResource[] };
}

/** `TaskTemplate.RestartPolicy`; durations in nanoseconds. */
export interface RestartPolicy {
  Condition?: string;
  Delay?: number;
  MaxAttempts?: number;
  Window?: number;
}

/** `TaskTemplate.Placement`. */
export interface Placement {
  Constraints?: string[];
  Preferences?: { Spread: { SpreadDescriptor: string } }[];
  MaxReplicas?: number;
}

/** `TaskTemplate.Networks[]`: `Target` is a network name here, an id once Docker stored it. */
export interface NetworkAttachment {
  Target: string;
  Aliases?: string[];
  DriverOpts?: StringMap;
}

/** `ServiceSpec.TaskTemplate`. */
export interface TaskSpec {
  ContainerSpec: ContainerSpec;
  Resources?: ResourceRequirements;
  RestartPolicy?: RestartPolicy;
  Placement?: Placement;
  Networks?: NetworkAttachment[];
  LogDriver?: Driver;
  ForceUpdate?: number;
}

/** `ServiceSpec.Mode`: exactly one member is set. */
export interface ServiceMode {
  Replicated?: { Replicas?: number };
  Global?: Record<string, never>;
  ReplicatedJob?: { MaxConcurrent?: number; TotalCompletions?: number };
  GlobalJob?: Record<string, never>;
}

/** `ServiceSpec.UpdateConfig` and `RollbackConfig`; durations in nanoseconds. */
export interface UpdateConfig {
  Parallelism: number;
  Delay?: number;
  FailureAction?: string;
  Monitor?: number;
  MaxFailureRatio?: number;
  Order?: string;
}

/** `ServiceSpec.EndpointSpec.Ports[]`. */
export interface PortConfig {
  Protocol?: string;
  TargetPort: number;
  PublishedPort?: number;
  PublishMode?: string;
}

/** `ServiceSpec.EndpointSpec`. */
export interface EndpointSpec {
  Mode?: string;
  Ports?: PortConfig[];
}

/** `POST /services/create` body. */
export interface ServiceSpec {
  Name: string;
  Labels: StringMap;
  TaskTemplate: TaskSpec;
  Mode: ServiceMode;
  UpdateConfig?: UpdateConfig;
  RollbackConfig?: UpdateConfig;
  EndpointSpec?: EndpointSpec;
}
