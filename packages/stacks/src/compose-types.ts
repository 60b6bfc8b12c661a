// A compose file after loading: interpolated, validated, short syntaxes expanded, paths made
// absolute, environment resolved. Conversion to Engine API specs reads only this.

/** `services.<name>.ports[]` after expanding the short syntax. */
export interface ServicePortConfig {
  mode?: string;
  target: number;
  published?: number;
  protocol?: string;
}

/** `services.<name>.volumes[]` after expanding the short syntax. */
export interface ServiceVolumeConfig {
  type: string;
  source?: string;
  target?: string;
  readOnly?: boolean;
  consistency?: string;
  bind?: { propagation?: string };
  volume?: { nocopy?: boolean };
  tmpfs?: { size?: number };
  cluster?: Record<string, never>;
}

/** A service's reference to a secret or config. */
export interface FileReferenceConfig {
  source: string;
  target?: string;
  uid?: string;
  gid?: string;
  mode?: number;
}

/** `services.<name>.networks.<net>`. */
export interface ServiceNetworkConfig {
  aliases?: string[];
  driverOpts?: Record<string, string>;
  ipv4Address?: string;
  ipv6Address?: string;
}

/** `deploy.update_config` / `deploy.rollback_config`; durations in nanoseconds. */
export interface UpdateConfigSource {
  parallelism?: number;
  delay?: number;
  failureAction?: string;
  monitor?: number;
  maxFailureRatio?: number;
  order?: string;
}

/** `deploy.restart_policy`; durations in nanoseconds. */
export interface RestartPolicySource {
  condition?: string;
  delay?: number;
  maxAttempts?: number;
  window?: number;
}

/** `services.<name>.deploy`. */
export interface DeployConfig {
  mode?: string;
  replicas?: number;
  labels: Record<string, string>;
  updateConfig?: UpdateConfigSource;
  rollbackConfig?: UpdateConfigSource;
  resources: {
    limits?: { cpus?: string; memory?: number; pids?: number };
    reservations?: {
      cpus?: string;
      memory?: number;
      genericResources?: { discreteResourceSpec?: { kind: string; value: number } }[];
    };
  };
  restartPolicy?: RestartPolicySource;
  placement: { constraints?: string[]; preferences?: { spread?: string }[]; maxReplicasPerNode?: number };
  endpointMode?: string;
}

/** `services.<name>.healthcheck`; durations in nanoseconds. */
export interface HealthCheckSource {
  test?: string[];
  timeout?: number;
  interval?: number;
  retries?: number;
  startPeriod?: number;
  startInterval?: number;
  disable?: boolean;
}

/** One service of a loaded compose file. */
export interface ServiceConfig {
  name: string;
  image?: string;
  command?: string[];
  entrypoint?: string[];
  /** Resolved environment: `null` means "name only" (`FOO` without a value). */
  environment: Record<string, string | null>;
  labels: Record<string, string>;
  deploy: DeployConfig;
  ports: ServicePortConfig[];
  /** `undefined` when the service lists no networks (it then joins `default`). */
  networks?: Record<string, ServiceNetworkConfig | null>;
  volumes: ServiceVolumeConfig[];
  secrets: FileReferenceConfig[];
  configs: FileReferenceConfig[];
  healthcheck?: HealthCheckSource;
  hostname?: string;
  user?: string;
  workingDir?: string;
  stopGracePeriod?: number;
  stopSignal?: string;
  sysctls: Record<string, string>;
  ulimits: Record<string, { single?: number; soft?: number; hard?: number }>;
  capAdd: string[];
  capDrop: string[];
  logging?: { driver?: string; options?: Record<string, string> };
  dns: string[];
  dnsSearch: string[];
  /** `host:ip` entries, as Docker's loader keeps them. */
  extraHosts: string[];
  init?: boolean;
  readOnly: boolean;
  tty: boolean;
  stdinOpen: boolean;
  isolation?: string;
  restart?: string;
  credentialSpec: { config?: string; file?: string; registry?: string };
}

/** `external:` of a network, volume, secret or config. */
export interface External {
  external: boolean;
  name?: string;
}

/** Top-level `networks.<name>`. */
export interface NetworkConfig {
  name?: string;
  driver?: string;
  driverOpts?: Record<string, string>;
  ipam: { driver?: string; config?: { subnet?: string }[] };
  external: External;
  internal: boolean;
  attachable: boolean;
  labels?: Record<string, string>;
}

/** Top-level `volumes.<name>`. */
export interface VolumeConfig {
  name?: string;
  driver?: string;
  driverOpts?: Record<string, string>;
  external: External;
  labels?: Record<string, string>;
}

/** Top-level `secrets.<name>` / `configs.<name>`; `file` is absolute. */
export interface FileObjectConfig {
  name?: string;
  file?: string;
  external: External;
  labels?: Record<string, string>;
  driver?: string;
  driverOpts?: Record<string, string>;
  templateDriver?: string;
}

/** A loaded compose file. */
export interface ComposeConfig {
  version: string;
  /** Sorted by name. */
  services: ServiceConfig[];
  networks: Record<string, NetworkConfig>;
  volumes: Record<string, VolumeConfig>;
  secrets: Record<string, FileObjectConfig>;
  configs: Record<string, FileObjectConfig>;
}
