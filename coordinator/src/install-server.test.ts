import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type InstallServer, startInstallServer } from "./install-server";
import { createLogger } from "./logger";

const dir = mkdtempSync(join(tmpdir(), "phoenix-install-"));
const bundle = join(dir, "phoenix-agent.mjs");
const script = join(dir, "install-agent.sh");
writeFileSync(bundle, "console.log('agent');\n");
writeFileSync(script, "#!/bin/sh\necho install\n");

describe("install server", () => {
  let server: InstallServer;
  let missing: InstallServer;
  const url = (s: InstallServer, p: string) => `http://127.0.0.1:${s.address.port}${p}`;

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

  it.each([
    ["/agent/phoenix-agent.mjs", "console.log('agent');\n", /javascript/],
    ["/agent/install.sh", "#!/bin/sh\necho install\n", /shellscript/],
  ])("serves %s", async (path, body, type) => {
    const res = await fetch(url(server, path));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(type);
    expect(await res.text()).toBe(body);
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
