import { mkdtemp, rm } from "node:fs/promises";
import { Agent, createServer, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { requestLines, startDockerTap } from "./docker-tap";

describe("requestLines", () => {
  it.each<[string, string[]]>([
    ["GET /_ping HTTP/1.1\r\nHost: localhost\r\n\r\n", ["GET /_ping"]],
    ["GET /info HTTP/1.1\r\nHost: x\r\n\r\nGET /_ping HTTP/1.1\r\n\r\n", ["GET /info", "GET /_ping"]],
    ["GET /services?status=true HTTP/1.1\r\n\r\n", ["GET /services"]],
    [
      "\r\nPOST /v1.41/services/create HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}",
      ["POST /v1.41/services/create"],
    ],
    ["GET /_ping HTTP/1.1", []],
    ["Host: GET /x HTTP/1.1\r\n", []],
  ])("%j", (text, want) => expect(requestLines(text)).toEqual(want));
});

describe("startDockerTap", () => {
  it("passes requests and answers through and counts them, over kept-alive connections too", async () => {
    const dir = await mkdtemp(join(tmpdir(), "phoenix-tap-"));
    const engine = createServer((req, res) => res.end(req.url === "/_ping" ? "OK" : "{}"));
    await new Promise<void>((resolve) => engine.listen(join(dir, "engine.sock"), resolve));
    const tap = await startDockerTap(join(dir, "engine.sock"), join(dir, "tap.sock"));
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const get = (path: string) =>
      new Promise<string>((resolve, reject) => {
        request({ socketPath: tap.path, path, agent }, (res) => {
          let body = "";
          res.on("data", (c) => (body += c)).on("end", () => resolve(body));
        })
          .on("error", reject)
          .end();
      });
    try {
      expect(await get("/_ping")).toBe("OK");
      expect(await get("/info")).toBe("{}");
      expect(await get("/_ping")).toBe("OK");
      expect(Object.fromEntries(tap.counts())).toEqual({ "GET /_ping": 2, "GET /info": 1 });
    } finally {
      agent.destroy();
      await tap.close();
      engine.closeAllConnections();
      await new Promise((resolve) => engine.close(resolve));
      await rm(dir, { recursive: true, force: true });
    }
  });
});
