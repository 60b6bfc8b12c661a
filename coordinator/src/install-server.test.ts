import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { get } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTestTls } from "../../packages/proto/src/test-tls";
import { type InstallServer, SERVED_FROM_LINE, scriptServedFrom, startInstallServer } from "./install-server";
import { createLogger } from "./logger";

const dir = mkdtempSync(join(tmpdir(), "phoenix-install-"));
const bundle = join(dir, "phoenix-agent.mjs");
const script = join(dir, "install-agent.sh");
writeFileSync(bundle, "console.log('agent');\n");
writeFileSync(script, `#!/bin/sh\n${SERVED_FROM_LINE}\necho install\n`);

describe("install server", () => {
  let server: InstallServer;
  let missing: InstallServer;

  beforeAll(async () => {
    const logger = createLogger("silent");
    server = await startInstallServer({
      listen: { host: "127.0.0.1", port: 0 },
      agentBundle: bundle,
      installScript: script,
      health: () => ({ agentsOnline: 2 }),
      logger,
    });
    missing = await startInstallServer({
      listen: { host: "127.0.0.1", port: 0 },
      agentBundle: join(dir, "nope.mjs"),
      installScript: join(dir, "nope.sh"),
      health: () => ({}),
      logger,
    });
  });
  afterAll(async () => {
    await server.close();
    await missing.close();
  });

  it.each([["/agent/phoenix-agent.mjs", "console.log('agent');\n", /javascript/]])(
    "serves %s",
    async (path, body, type) => {
      const res = await fetch(url(server, path));
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(type);
      expect(await res.text()).toBe(body);
    },
  );

  it("serves the install script saying where it came from, so the bundle comes from there too", async () => {
    const res = await fetch(url(server, "/agent/install.sh"));
    expect(res.headers.get("content-type")).toMatch(/shellscript/);
    expect(await res.text()).toBe(
      `#!/bin/sh\nserved_from='http://127.0.0.1:${server.address.port}'\necho install\n`,
    );
    const head = await fetch(url(server, "/agent/install.sh"), { method: "HEAD" });
    expect(Number(head.headers.get("content-length"))).toBe(
      `#!/bin/sh\nserved_from='http://127.0.0.1:${server.address.port}'\necho install\n`.length,
    );
  });

  it("answers /healthz with the coordinator's figures", async () => {
    const res = await fetch(url(server, "/healthz"));
    expect(await res.json()).toEqual({ ok: true, agentsOnline: 2 });
  });

  it.each([
    ["/agent/../etc/passwd", 404],
    ["/nope", 404],
  ])("%s is %i", async (path, status) => {
    expect((await fetch(url(server, path))).status).toBe(status);
  });

  it.each([
    ["a name and port", "coordinator.lan:7480", "served_from='https://coordinator.lan:7480'"],
    ["an address without a port", "10.0.0.5", "served_from='https://10.0.0.5'"],
    ["an IPv6 address", "[fd00::5]:7480", "served_from='https://[fd00::5]:7480'"],
    ["upper case", "Coordinator.LAN:7480", "served_from='https://coordinator.lan:7480'"],
    ["no Host header", undefined, SERVED_FROM_LINE],
    ["shell in the Host header", "x';reboot;'", SERVED_FROM_LINE],
    ["a path in the Host header", "evil.example/x", SERVED_FROM_LINE],
    ["spaces", "a b:1", SERVED_FROM_LINE],
  ])("fills the script's origin from %s", (_what, host, line) => {
    expect(scriptServedFrom(`#!/bin/sh\n${SERVED_FROM_LINE}\nx=1\n`, "https", host)).toBe(
      `#!/bin/sh\n${line}\nx=1\n`,
    );
  });

  it("refuses writes", async () => {
    expect((await fetch(url(server, "/agent/install.sh"), { method: "POST" })).status).toBe(405);
  });

  it("says 503 when the bundle was not built", async () => {
    const res = await fetch(url(missing, "/agent/phoenix-agent.mjs"));
    expect(res.status).toBe(503);
    expect(await res.text()).toMatch(/not available/);
  });

  it("a taken port is one clear config error", async () => {
    await expect(
      startInstallServer({
        listen: { host: "127.0.0.1", port: server.address.port },
        agentBundle: bundle,
        installScript: script,
        health: () => ({}),
        logger: createLogger("silent"),
      }),
    ).rejects.toThrow(/--http-listen 127.0.0.1:\d+: cannot listen \(EADDRINUSE\)/);
  });
});

describe("install server with TLS", () => {
  const tls = makeTestTls("phoenix-install-tls-");
  let server: InstallServer;
  /** GET over HTTPS trusting one CA: status and body, or the TLS error's code. */
  const fetchTrusting = (path: string, caFile: string) =>
    new Promise<{ status?: number; body?: string; error?: string }>((resolve) => {
      const req = get(
        {
          host: "127.0.0.1",
          port: server.address.port,
          path,
          ca: readFileSync(caFile),
          servername: "localhost",
        },
        (res) => {
          let body = "";
          res.setEncoding("utf8");
          res.on("data", (c: string) => {
            body += c;
          });
          res.on("end", () => resolve({ status: res.statusCode, body }));
        },
      );
      req.on("error", (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    });

  beforeAll(async () => {
    server = await startInstallServer({
      listen: { host: "127.0.0.1", port: 0 },
      agentBundle: bundle,
      installScript: script,
      health: () => ({}),
      logger: createLogger("silent"),
      tls: { certFile: tls.certFile, keyFile: tls.keyFile },
    });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(tls.dir, { recursive: true, force: true });
  });

  it("serves the bundle and the script over HTTPS to a client trusting the coordinator's CA", async () => {
    expect(server.scheme).toBe("https");
    expect(await fetchTrusting("/agent/phoenix-agent.mjs", tls.caFile)).toEqual({
      status: 200,
      body: "console.log('agent');\n",
    });
    const r = await fetchTrusting("/agent/install.sh", tls.caFile);
    expect(r.body).toContain(`served_from='https://127.0.0.1:${server.address.port}'`);
  });

  it("is refused by a client trusting another CA, and answers no plain HTTP", async () => {
    expect((await fetchTrusting("/agent/install.sh", tls.otherCaFile)).error).toMatch(
      /CERT|SIGNATURE|ISSUER/,
    );
    await expect(fetch(url(server, "/agent/install.sh"))).rejects.toThrow();
  });

  it("names an unreadable certificate file in one error", async () => {
    await expect(
      startInstallServer({
        listen: { host: "127.0.0.1", port: 0 },
        agentBundle: bundle,
        installScript: script,
        health: () => ({}),
        logger: createLogger("silent"),
        tls: { certFile: join(dir, "nope.pem"), keyFile: tls.keyFile },
      }),
    ).rejects.toThrow(/^--tls-cert .*nope\.pem: cannot read it \(ENOENT\)$/);
  });
});

const url = (s: InstallServer, p: string) => `http://127.0.0.1:${s.address.port}${p}`;
