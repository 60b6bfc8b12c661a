/** Name and tag of the test image imported on every guest (busybox-static with its applets). */
export const TEST_IMAGE = "phoenix/testimg:latest";

/** Where sandboxes keep their directories and state files; PHOENIX_SANDBOX_ROOT overrides it. */
export function sandboxRoot(): string {
  return process.env.PHOENIX_SANDBOX_ROOT ?? "/var/lib/phoenix-sandbox";
}

/** Prefix of every bridge, veth and netns a sandbox creates (`phsb3`, `phsb3g1`, `phsb-<name>-<guest>`). */
export const NAME_PREFIX = "phsb";

/** The sandbox subnets are `10.213.<slot>.0/24`; a slot is taken only when no host route overlaps it. */
export const SUBNET_BASE = [10, 213] as const;

/** How many slots (and so concurrent sandboxes) exist. */
export const SLOT_COUNT = 256;

/** Comment on the sandbox's iptables FORWARD rule, followed by the sandbox name. */
export const IPTABLES_COMMENT = "phoenix-sandbox";
