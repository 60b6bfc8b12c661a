import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dockerGet, engineVersionOf, withinTimeout } from "./docker-get";

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
      "/_ping": [200, "OK"],
      "/broken": [500, '{"message":"error reading the data root"}'],
      "/missing": [404, "page not found"],
      "/html": [200, "<html>not docker</html>"],
    };
    if (req.url === "/slow") return slowArrived();
    const [status, body] = answers[req.url ?? ""] ?? [404, ""];
    const headers = {
      "Content-Type": "application/json",
      "Api-Version": "1.51",
      Server: "Docker/28.5.1 (linux)",
      // Docker 25 and later name the node's swarm state in GET /_ping's headers.
      ...(req.url === "/_ping" ? { Swarm: "active/worker" } : {}),
    };
    res.writeHead(status, headers).end(body);
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
  it("returns the JSON answer of an unversioned GET, with the versions its headers name", async () => {
    expect(await get("/version")).toEqual({
      body: { Version: "28.5.1", ApiVersion: "1.51" },
      apiVersion: "1.51",
      engineVersion: "28.5.1",
      swarm: "",
    });
    expect(seen).toContain("GET /version");
  });

  it("takes a plain answer when no JSON is asked for (GET /_ping)", async () => {
    const ping = await dockerGet(socket, "/_ping", new AbortController().signal, false);
    expect(ping).toEqual({
      body: undefined,
      apiVersion: "1.51",
      engineVersion: "28.5.1",
      swarm: "active/worker",
    });
    await expect(get("/_ping")).rejects.toThrow("GET /_ping answered with no JSON: OK");
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

describe("engineVersionOf", () => {
  it.each([
    ["Docker/20.10.24+dfsg1 (linux)", "20.10.24+dfsg1"],
    ["Docker/28.5.1 (linux)", "28.5.1"],
    ["Libpod/4.3.1 (linux)", "4.3.1"],
    ["", ""],
    [undefined, ""],
    ["nginx", ""],
  ])("%j", (server, want) => {
    expect(engineVersionOf(server)).toBe(want);
  });
});

describe("withinTimeout", () => {
  it("gives the answer of a call that comes in time", async () => {
    expect(await withinTimeout(1_000, async () => 7)).toBe(7);
  });

  it("passes a call's own failure through", async () => {
    await expect(withinTimeout(1_000, async () => Promise.reject(new Error("EACCES")))).rejects.toThrow(
      "EACCES",
    );
  });

  it("fails a call that does not end in time with how long it was given", async () => {
    const never = (signal: AbortSignal) =>
      new Promise<never>((_resolve, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
    await expect(withinTimeout(20, never)).rejects.toThrow("no answer within 20 ms");
  });
});
