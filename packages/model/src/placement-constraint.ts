/** A parsed Swarm placement constraint such as `node.labels.gpu == true`. */
export interface PlacementConstraint {
  key: string;
  operator: "==" | "!=";
  value: string;
}

// the expressions swarmkit accepts (manager/constraint): key, one of == or !=, value
const KEY = /^[a-z_][a-z0-9\-_.]+$/i;
const VALUE = /^[a-z0-9:\-_\s.*()?+[\]\\^$|/]+$/i;
const FIXED_KEYS = [
  "node.id",
  "node.hostname",
  "node.ip",
  "node.role",
  "node.platform.os",
  "node.platform.arch",
];
const LABEL_PREFIXES = ["node.labels.", "engine.labels."];
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)$/;

function isIpOrCidr(value: string): boolean {
  const [addr, bits, extra] = value.split("/");
  if (extra !== undefined || addr === undefined) return false;
  const v4 = IPV4.test(addr);
  const v6 = !v4 && addr.includes(":") && /^[0-9a-f:.]+$/i.test(addr);
  if (!v4 && !v6) return false;
  if (bits === undefined) return true;
  if (!/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (v4 ? 32 : 128);
}

/**
 * Parses a placement constraint the way Swarm does and also refuses what Swarm accepts but can
 * never satisfy (an unknown key, `node.role == boss`), since such a task would stay pending forever.
 */
export function parsePlacementConstraint(
  expr: string,
): { ok: true; constraint: PlacementConstraint } | { ok: false; problem: string } {
  const operator = expr.includes("==") ? "==" : expr.includes("!=") ? "!=" : undefined;
  if (!operator) return { ok: false, problem: `${JSON.stringify(expr)} needs one operator, == or !=` };
  const at = expr.indexOf(operator);
  const key = expr.slice(0, at).trim();
  const value = expr.slice(at + 2).trim();
  if (!KEY.test(key))
    return { ok: false, problem: `${JSON.stringify(expr)}: key ${JSON.stringify(key)} is invalid` };
  if (!VALUE.test(value))
    return { ok: false, problem: `${JSON.stringify(expr)}: value ${JSON.stringify(value)} is invalid` };

  const lower = key.toLowerCase();
  const prefix = LABEL_PREFIXES.find((p) => lower.startsWith(p));
  if (prefix) {
    if (key.length === prefix.length || key.endsWith("."))
      return { ok: false, problem: `${JSON.stringify(expr)}: ${prefix}<key> needs a label key` };
  } else if (!FIXED_KEYS.includes(lower)) {
    return {
      ok: false,
      problem: `${JSON.stringify(expr)}: unknown key ${JSON.stringify(key)}; Swarm knows ${FIXED_KEYS.join(", ")}, node.labels.<key> and engine.labels.<key>`,
    };
  }
  if (lower === "node.role" && !/^(manager|worker)$/i.test(value))
    return { ok: false, problem: `${JSON.stringify(expr)}: node.role is manager or worker` };
  if (lower === "node.ip" && !isIpOrCidr(value))
    return { ok: false, problem: `${JSON.stringify(expr)}: node.ip needs an IP address or a CIDR network` };
  return { ok: true, constraint: { key, operator, value } };
}
