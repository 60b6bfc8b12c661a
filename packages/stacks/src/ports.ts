import type { ServicePortConfig } from "./compose-types";

// The short port syntax `[ip:][published[-end]:]target[-end][/protocol]` as Docker's compose
// loader reads it (go-connections `nat.ParsePortSpecs` followed by `ConvertPortToPortConfig`).

function parseUint16(text: string): number | undefined {
  if (!/^[0-9]+$/.test(text)) return undefined;
  const n = Number(text);
  return n <= 65535 ? n : undefined;
}

function parseRange(text: string): [number, number] | undefined {
  if (text === "") return undefined;
  if (!text.includes("-")) {
    const n = parseUint16(text);
    return n === undefined ? undefined : [n, n];
  }
  const [a, b] = text.split("-") as [string, string];
  const start = parseUint16(a);
  const end = parseUint16(b);
  if (start === undefined || end === undefined || end < start) return undefined;
  return [start, end];
}

function splitParts(raw: string): [string, string, string] {
  const parts = raw.split(":");
  const n = parts.length;
  const container = parts[n - 1] as string;
  if (n === 1) return ["", "", container];
  if (n === 2) return ["", parts[0] as string, container];
  if (n === 3) return [parts[0] as string, parts[1] as string, container];
  return [parts.slice(0, n - 2).join(":"), parts[n - 2] as string, container];
}

function splitProto(raw: string): [string, string] {
  const parts = raw.split("/");
  if (raw === "" || (parts[0] ?? "") === "") return ["", ""];
  if (parts.length === 1) return ["tcp", raw];
  if ((parts[1] ?? "") === "") return ["tcp", parts[0] as string];
  return [parts[1] as string, parts[0] as string];
}

function isIp(text: string): boolean {
  if (/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(text)) {
    return text.split(".").every((o) => Number(o) <= 255 && (o === "0" || !o.startsWith("0")));
  }
  return text.includes(":") && /^[0-9a-fA-F:.]+$/.test(text);
}

interface Binding {
  port: string;
  proto: string;
  hostIp: string;
  hostPort: string;
}

function parsePortSpec(raw: string): Binding[] {
  const [rawIp, hostPort, rawContainer] = splitParts(raw);
  const [proto, containerPort] = splitProto(rawContainer);
  let ip = rawIp;
  if (ip.startsWith("[")) {
    if (!ip.endsWith("]")) throw new Error(`invalid IP address ${ip}`);
    ip = ip.slice(1, -1);
  }
  if (ip !== "" && !isIp(ip)) throw new Error(`invalid IP address: ${ip}`);
  if (containerPort === "") throw new Error(`no port specified: ${raw}<empty>`);
  const container = parseRange(containerPort);
  if (!container) throw new Error(`invalid containerPort: ${containerPort}`);
  const [startPort, endPort] = container;
  let startHost = 0;
  let endHost = 0;
  if (hostPort !== "") {
    const host = parseRange(hostPort);
    if (!host) throw new Error(`invalid hostPort: ${hostPort}`);
    [startHost, endHost] = host;
  }
  if (hostPort !== "" && endPort - startPort !== endHost - startHost && endPort !== startPort) {
    throw new Error(
      `invalid ranges specified for container and host Ports: ${containerPort} and ${hostPort}`,
    );
  }
  const protocol = proto.toLowerCase();
  if (!["tcp", "udp", "sctp"].includes(protocol)) throw new Error(`invalid proto: ${proto}`);
  const out: Binding[] = [];
  for (let i = 0; i <= endPort - startPort; i++) {
    let host = hostPort === "" ? "" : String(startHost + i);
    if (startPort === endPort && startHost !== endHost) host = `${host}-${endHost}`;
    out.push({ port: String(startPort + i), proto: protocol, hostIp: ip, hostPort: host });
  }
  return out;
}

/**
 * Expands one short-syntax port entry into port configs. Throws with Docker's reason when the
 * entry is invalid. A host IP is accepted and ignored (Swarm publishes on every address); it is
 * returned so the caller can warn as Docker does.
 */
export function parseShortPort(raw: string): { ports: ServicePortConfig[]; ignoredHostIp?: string } {
  const bindings = parsePortSpec(raw);
  const hostIp = bindings[0]?.hostIp ?? "";
  const unspecified = hostIp === "" || /^(0\.0\.0\.0|::|0*:(0*:)*0*)$/.test(hostIp);
  // Docker groups bindings per "port/proto" key and walks the keys in string order.
  const keys = [...new Set(bindings.map((b) => `${b.port}/${b.proto}`))].sort();
  const out: ServicePortConfig[] = [];
  for (const key of keys) {
    for (const b of bindings.filter((x) => `${x.port}/${x.proto}` === key)) {
      const range = b.hostPort === "" ? ([0, 0] as [number, number]) : parseRange(b.hostPort);
      if (!range) throw new Error(`invalid hostport binding (${b.hostPort}) for port (${b.port})`);
      for (let p = range[0]; p <= range[1]; p++) {
        out.push({ mode: "ingress", target: Number(b.port), published: p, protocol: b.proto });
      }
    }
  }
  return unspecified ? { ports: out } : { ports: out, ignoredHostIp: hostIp };
}
