import type { EngineNetwork } from "./engine";
import type { NetworkSpec } from "./stack-specs";

/**
 * What to say when a shared (environment) network asks for a subnet it was not created with, or
 * nothing: every stack of the environment uses it, so only removing them all lets it be recreated.
 */
export function subnetChange(spec: NetworkSpec, current: EngineNetwork | undefined): string | undefined {
  const wanted = wantedSubnet(spec);
  const has = (current?.IPAM?.Config ?? []).flatMap((c) => (c.Subnet ? [c.Subnet] : []));
  if (!wanted || has.includes(wanted)) return undefined;
  return `has subnet ${has.join(", ") || "(none reported)"}, not ${wanted}; Docker cannot change a network in place: remove every stack that uses it, then the network (docker network rm ${spec.Name}), and the next deploy creates it with the new subnet`;
}

/** The subnet a network spec asks for (its first IPAM config), if any. */
export function wantedSubnet(spec: NetworkSpec): string | undefined {
  return (spec as { IPAM?: { Config?: { Subnet?: string }[] } }).IPAM?.Config?.[0]?.Subnet;
}
