import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dockerGet } from "./docker-get";

// A real HTTP server on a unix socket, answering the way dockerd does (and the ways it fails).
let dir: string;
let socket: string;
let server: Server;
const seen: string[] = [];
let slowArrived: () => void = () => {};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "phoenix-docker-get-"));
  socket = join(dir, "docker.sock");
  server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const answers: Record<string, [number, string]> = {
      "/version": [200, '{"Version":"28.5.1","ApiVersion":"1.51"}'],
      "/broken": [500, '{"message":"error reading the data root"}'],
      "/missing": [404, "page not found"],
      "/html": [200, "<html>not docker</html>"],
    };
    if (req.url === "/slow") return slowArrived();
    const [status, body] = answers[req.url ?? ""] ?? [404, ""];
    res.writeHead(status, { "Content-Type": "application/json" }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

const get = (path: string, signal = new AbortController().signal) => dockerGet(socket, path, signal);

describe("dockerGet", () => {
  it("returns the JSON answer of an unversioned GET", async () => {
    expect(await get("/version")).toEqual({ Version: "28.5.1", ApiVersion: "1.51" });
    expect(seen).toContain("GET /version");
  });

  it("fails with Docker's message and status, worded as dockerode does", async () => {
    await expect(get("/broken")).rejects.toThrow(
      "(HTTP code 500) server error - error reading the data root",
    );
    await expect(get("/missing")).rejects.toThrow("(HTTP code 404) unexpected - page not found");
  });

  it("fails on an answer that is not JSON", async () => {
    await expect(get("/html")).rejects.toThrow("GET /html answered with no JSON: <html>not docker</html>");
  });

  it("fails with the socket's error when nothing listens there", async () => {
    await expect(
      dockerGet(join(dir, "missing.sock"), "/info", new AbortController().signal),
    ).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("stops waiting for an engine that never answers when aborted", async () => {
    const abort = new AbortController();
    const arrived = new Promise<void>((resolve) => {
      slowArrived = resolve;
    });
    const pending = get("/slow", abort.signal);
    await arrived;
    abort.abort();
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
  });
});
