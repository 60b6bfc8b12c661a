import { describe, expect, it } from "vitest";
import { serviceImage } from "./image-reference";

describe("serviceImage", () => {
  it.each([
    ["busybox", "busybox:latest"],
    ["nginx:1.25", "nginx:1.25"],
    ["docker.io/library/nginx", "nginx:latest"],
    ["index.docker.io/library/redis:7", "redis:7"],
    ["docker.io/portainer/agent", "portainer/agent:latest"],
    ["portainer/portainer:latest", "portainer/portainer:latest"],
    ["localhost:5000/app", "localhost:5000/app:latest"],
    ["docker.elastic.co/kibana/kibana:6.5.4", "docker.elastic.co/kibana/kibana:6.5.4"],
    [
      "registry.example.com:5000/team/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
      "registry.example.com:5000/team/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    ],
    ["atsea_db", "atsea_db:latest"],
  ])("%s → %s", (image, expected) => {
    expect(serviceImage(image)).toBe(expected);
  });

  it.each([
    ["Local/Upper", "invalid reference format: repository name (Upper) must be lowercase"],
    ["nginx:", "invalid reference format"],
    ["a".repeat(64).replace(/a/g, "f"), "cannot specify 64-byte hexadecimal strings"],
    ["", "no image"],
  ])("rejects %j", (image, message) => {
    expect(() => serviceImage(image)).toThrow(message);
  });
});
