import { describe, expect, it } from "vitest";
import {
  addStackLabel,
  convertConfigs,
  convertNetworks,
  convertSecrets,
  serviceNetworkNames,
} from "./compose";
import type { FileObjectConfig, NetworkConfig, ServiceConfig } from "./compose-types";

const net = (over: Partial<NetworkConfig> = {}): NetworkConfig => ({
  ipam: {},
  external: { external: false },
  internal: false,
  attachable: false,
  ...over,
});
const obj = (over: Partial<FileObjectConfig> = {}): FileObjectConfig => ({
  external: { external: false },
  ...over,
});
const readFile = (p: string) => new TextEncoder().encode(`content of ${p}`);

describe("addStackLabel", () => {
  it("adds the namespace label and sorts keys", () => {
    expect(Object.entries(addStackLabel("ns", { z: "1", a: "2" }))).toEqual([
      ["a", "2"],
      ["com.docker.stack.namespace", "ns"],
      ["z", "1"],
    ]);
  });
});

describe("serviceNetworkNames", () => {
  it("uses default for services without networks", () => {
    const services = [{ networks: undefined }, { networks: { front: null, back: null } }] as ServiceConfig[];
    expect([...serviceNetworkNames(services)].sort()).toEqual(["back", "default", "front"]);
  });
});

describe("convertNetworks", () => {
  it("creates only the networks services use, overlay by default, external ones listed apart", () => {
    const { networks, external } = convertNetworks(
      "ns",
      {
        front: net({ attachable: true, labels: { a: "b" }, driverOpts: { encrypted: "" } }),
        back: net({ internal: true, ipam: { driver: "default", config: [{ subnet: "10.0.9.0/24" }] } }),
        named: net({ name: "custom" }),
        unused: net(),
        pub: net({ external: { external: true }, name: "traefik-public" }),
      },
      new Set(["front", "back", "named", "pub", "default"]),
    );
    expect(networks).toEqual([
      { Name: "custom", Driver: "overlay", Labels: { "com.docker.stack.namespace": "ns" } },
      {
        Name: "ns_back",
        Driver: "overlay",
        Labels: { "com.docker.stack.namespace": "ns" },
        Internal: true,
        IPAM: { Driver: "default", Config: [{ Subnet: "10.0.9.0/24" }] },
      },
      { Name: "ns_default", Driver: "overlay", Labels: { "com.docker.stack.namespace": "ns" } },
      {
        Name: "ns_front",
        Driver: "overlay",
        Labels: { a: "b", "com.docker.stack.namespace": "ns" },
        Options: { encrypted: "" },
        Attachable: true,
      },
    ]);
    expect(external).toEqual(["traefik-public"]);
  });
});

describe("convertSecrets / convertConfigs", () => {
  it("creates every declared non-external object with its file content", () => {
    const secrets = convertSecrets(
      "ns",
      {
        s: obj({ file: "/stack/s.txt", labels: { l: "1" } }),
        named: obj({ file: "/stack/n.txt", name: "global-name" }),
        ext: obj({ external: { external: true }, name: "ext" }),
        drv: obj({ driver: "vault", driverOpts: { path: "x" } }),
        tpl: obj({ file: "/stack/t", templateDriver: "golang" }),
      },
      readFile,
    );
    expect(secrets.map((s) => s.Name)).toEqual(["global-name", "ns_drv", "ns_s", "ns_tpl"]);
    expect(secrets[2]).toEqual({
      Name: "ns_s",
      Labels: { "com.docker.stack.namespace": "ns", l: "1" },
      Data: Buffer.from("content of /stack/s.txt").toString("base64"),
    });
    expect(secrets[1]).toEqual({
      Name: "ns_drv",
      Labels: { "com.docker.stack.namespace": "ns" },
      Driver: { Name: "vault", Options: { path: "x" } },
    });
    expect(secrets[3]?.Templating).toEqual({ Name: "golang" });
    expect(convertConfigs("ns", { c: obj({ file: "/stack/c" }) }, readFile)).toEqual([
      {
        Name: "ns_c",
        Labels: { "com.docker.stack.namespace": "ns" },
        Data: Buffer.from("content of /stack/c").toString("base64"),
      },
    ]);
  });

  it("names the file that cannot be read", () => {
    expect(() =>
      convertSecrets("ns", { s: obj({ file: "/nope" }) }, () => {
        throw new Error("ENOENT");
      }),
    ).toThrow("cannot read /nope: ENOENT");
  });
});
