import { addStackLabel, scope, sortedMap } from "./compose";
import type { ServiceVolumeConfig, VolumeConfig } from "./compose-types";
import type { Mount } from "./engine-types";

function baseMount(v: ServiceVolumeConfig): Mount {
  const mount: Mount = {
    Type: v.type as Mount["Type"],
    ...(v.source ? { Source: v.source } : {}),
    Target: v.target ?? "",
  };
  if (v.readOnly) mount.ReadOnly = true;
  if (v.consistency) mount.Consistency = v.consistency;
  return mount;
}

function incompatible(
  v: ServiceVolumeConfig,
  type: string,
  options: ("bind" | "volume" | "tmpfs" | "cluster")[],
) {
  for (const o of options) {
    if (v[o] !== undefined) throw new Error(`${o} options are incompatible with type ${type}`);
  }
}

function volumeMount(
  v: ServiceVolumeConfig,
  stackVolumes: Record<string, VolumeConfig>,
  namespace: string,
): Mount {
  incompatible(v, "volume", ["tmpfs", "bind", "cluster"]);
  const mount = baseMount(v);
  if (!v.source) return mount;
  const stackVolume = stackVolumes[v.source];
  if (!stackVolume) throw new Error(`undefined volume "${v.source}"`);
  mount.Source = stackVolume.name || scope(namespace, v.source);
  mount.VolumeOptions = {};
  if (v.volume?.nocopy) mount.VolumeOptions.NoCopy = true;
  if (stackVolume.external.external) return mount;
  mount.VolumeOptions.Labels = addStackLabel(namespace, stackVolume.labels);
  if (stackVolume.driver || stackVolume.driverOpts) {
    mount.VolumeOptions.DriverConfig = {};
    if (stackVolume.driver) mount.VolumeOptions.DriverConfig.Name = stackVolume.driver;
    if (stackVolume.driverOpts) mount.VolumeOptions.DriverConfig.Options = sortedMap(stackVolume.driverOpts);
  }
  return mount;
}

function bindMount(v: ServiceVolumeConfig, type: "bind" | "npipe"): Mount {
  if (!v.source) throw new Error(`invalid ${type} source, source cannot be empty`);
  incompatible(v, type, type === "bind" ? ["volume", "tmpfs", "cluster"] : ["volume", "tmpfs"]);
  const mount = baseMount(v);
  if (v.bind) mount.BindOptions = v.bind.propagation ? { Propagation: v.bind.propagation } : {};
  return mount;
}

function tmpfsMount(v: ServiceVolumeConfig): Mount {
  if (v.source) throw new Error("invalid tmpfs source, source must be empty");
  incompatible(v, "tmpfs", ["bind", "volume", "cluster"]);
  const mount = baseMount(v);
  if (v.tmpfs) mount.TmpfsOptions = v.tmpfs.size ? { SizeBytes: v.tmpfs.size } : {};
  return mount;
}

function clusterMount(
  v: ServiceVolumeConfig,
  stackVolumes: Record<string, VolumeConfig>,
  namespace: string,
): Mount {
  if (!v.source) throw new Error("invalid cluster source, source cannot be empty");
  incompatible(v, "cluster", ["tmpfs", "bind", "volume"]);
  const mount = baseMount(v);
  mount.ClusterOptions = {};
  if (!v.source.startsWith("group:")) {
    const stackVolume = stackVolumes[v.source];
    if (!stackVolume) throw new Error(`undefined volume "${v.source}"`);
    mount.Source = stackVolume.name || scope(namespace, v.source);
  }
  return mount;
}

/**
 * A service volume entry as an Engine API mount: named volumes become `<namespace>_<name>`
 * (or their `name:`) with the stack label, unless external; binds, tmpfs, npipe and cluster
 * volumes keep their own rules. Throws with Docker's reason on a bad entry.
 */
export function convertVolumeToMount(
  v: ServiceVolumeConfig,
  stackVolumes: Record<string, VolumeConfig>,
  namespace: string,
): Mount {
  switch (v.type) {
    case "volume":
    case "":
      return volumeMount({ ...v, type: "volume" }, stackVolumes, namespace);
    case "bind":
      return bindMount(v, "bind");
    case "tmpfs":
      return tmpfsMount(v);
    case "npipe":
      return bindMount(v, "npipe");
    case "cluster":
      return clusterMount(v, stackVolumes, namespace);
    default:
      throw new Error("volume type must be volume, bind, tmpfs, npipe, or cluster");
  }
}

/** All of a service's volume entries as mounts, in the order the file lists them. */
export function convertVolumes(
  volumes: readonly ServiceVolumeConfig[],
  stackVolumes: Record<string, VolumeConfig>,
  namespace: string,
): Mount[] {
  return volumes.map((v) => convertVolumeToMount(v, stackVolumes, namespace));
}
