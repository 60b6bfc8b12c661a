import { execFile, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { deadPort } from "./test-ports";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const tsx = join(root, "node_modules/.bin/tsx");
const bin = join(root, "cli/src/bin.ts");

function phoenix(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      tsx,
      [bin, ...args],
      { env: { ...process.env, NO_COLOR: "1", XDG_CONFIG_HOME: "/nonexistent", ...env }, timeout: 20_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe("phoenix as a process", () => {
  it("a reader that closes the pipe early (phoenix ... | head) is no crash and exit 0", async () => {
    const child = spawn(tsx, [bin, "--help"], { env: { ...process.env, NO_COLOR: "1" } });
    child.stdout.destroy();
    let stderr = "";
    child.stderr.on("data", (b: Buffer) => {
      stderr += b.toString();
    });
    const code = await new Promise<number | null>((r) => child.on("close", r));
    expect(stderr).not.toMatch(/EPIPE|Unhandled/);
    expect(code).toBe(0);
  });

  it("an unreachable coordinator is one clear line and exit 3", async () => {
    const port = await deadPort();
    const r = await phoenix(["status"], {
      PHOENIX_COORDINATOR: `127.0.0.1:${port}`,
      PHOENIX_TOKEN: "s3cret-token",
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(new RegExp(`^phoenix: cannot reach the coordinator at 127\\.0\\.0\\.1:${port}`));
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stderr + r.stdout).not.toContain("s3cret-token");
  });

  it.each([
    [["nodes", "--bogus"], /unknown option '--bogus'/],
    [["swarm", "deploy", "app"], /required option '--env <env>' not specified/],
    [["frobnicate"], /unknown command 'frobnicate'/],
    [["events", "--since", "yesterday"], /--since "yesterday"/],
  ])("bad usage %j exits 2", async (args, message) => {
    const r = await phoenix(args as string[], { PHOENIX_COORDINATOR: "127.0.0.1:1" });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it("help shows examples and exit codes", async () => {
    const top = await phoenix(["--help"]);
    expect(top.code).toBe(0);
    expect(top.stdout).toContain("Exit codes: 0 ok, 1 failed, 2 usage or bad input");
    const deploy = await phoenix(["swarm", "--help"]);
    expect(deploy.stdout).toContain("phoenix swarm deploy thinkheads_ai_app --env test");
  });

  it("prints a bash completion script", async () => {
    const r = await phoenix(["completion", "bash"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('"swarm deploy") words=');
  });
});
