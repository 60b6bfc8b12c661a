import { describe, expect, it } from "vitest";
import { parseShortPort } from "./ports";

const port = (target: number, published = 0, protocol = "tcp") => ({
  mode: "ingress",
  target,
  published,
  protocol,
});

describe("parseShortPort", () => {
  it.each([
    ["80", [port(80)]],
    ["8080:80", [port(80, 8080)]],
    ["6060:6060/udp", [port(6060, 6060, "udp")]],
    ["53:53/SCTP", [port(53, 53, "sctp")]],
    ["3001-3002", [port(3001), port(3002)]],
    ["9090-9091:8080-8081", [port(8080, 9090), port(8081, 9091)]],
    ["8000-8002:80", [port(80, 8000), port(80, 8001), port(80, 8002)]],
    ["0.0.0.0:80:80", [port(80, 80)]],
    ["[::1]:80:80", [port(80, 80)]],
  ])("%s", (spec, ports) => {
    expect(parseShortPort(spec).ports).toEqual(ports);
  });

  it("reports a host IP that Swarm ignores", () => {
    expect(parseShortPort("127.0.0.1:8001:8001").ignoredHostIp).toBe("127.0.0.1");
    expect(parseShortPort("0.0.0.0:8001:8001").ignoredHostIp).toBeUndefined();
  });

  it.each([
    ["", "no port specified: <empty>"],
    ["80/xyz", "invalid proto: xyz"],
    ["70000", "invalid containerPort: 70000"],
    ["abc:80", "invalid hostPort: abc"],
    ["8000-8001:80-82", "invalid ranges specified for container and host Ports: 80-82 and 8000-8001"],
    ["999.1.1.1:80:80", "invalid IP address: 999.1.1.1"],
  ])("rejects %j", (spec, message) => {
    expect(() => parseShortPort(spec)).toThrow(message);
  });
});
