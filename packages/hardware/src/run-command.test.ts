import { describe, expect, it } from "vitest";
import { runCommand } from "./run-command";

// Real processes: sh and node itself.
const node = (script: string) => [process.execPath, ["-e", script]] as const;

describe("runCommand", () => {
  it("returns the output of a command that succeeds, without the final newline", async () => {
    expect(await runCommand("sh", ["-c", "echo 'two\nlines'; echo warn >&2"], { timeoutMs: 30_000 })).toEqual(
      {
        exitCode: 0,
        stdout: "two\nlines",
        stderr: "warn",
        timedOut: false,
        code: undefined,
      },
    );
  });

  it("reports a missing binary as ENOENT without an exit status", async () => {
    expect(await runCommand("/nonexistent/nvidia-smi", ["-q"], { timeoutMs: 30_000 })).toEqual({
      exitCode: undefined,
      stdout: "",
      stderr: "",
      timedOut: false,
      code: "ENOENT",
    });
  });

  it("returns the exit status and output of a command that fails", async () => {
    expect(
      await runCommand("sh", ["-c", "echo said; echo failed >&2; exit 9"], { timeoutMs: 30_000 }),
    ).toEqual({
      exitCode: 9,
      stdout: "said",
      stderr: "failed",
      timedOut: false,
      code: undefined,
    });
  });

  it("passes arguments as they are, without a shell", async () => {
    const r = await runCommand("printf", ["%s|", "a b", "$HOME", "*"], { timeoutMs: 30_000 });
    expect(r.stdout).toBe("a b|$HOME|*|");
  });

  it("gives the command no stdin", async () => {
    const r = await runCommand(...node("process.stdin.on('data',()=>{}).on('end',()=>console.log('eof'))"), {
      timeoutMs: 30_000,
    });
    expect(r.stdout).toBe("eof");
  });

  it("kills a command that outlives its timeout and says so", async () => {
    const r = await runCommand("sleep", ["60"], { timeoutMs: 100 });
    expect(r).toMatchObject({ exitCode: undefined, timedOut: true, code: undefined });
  });

  it("kills a command that ignores SIGTERM", async () => {
    const r = await runCommand("sh", ["-c", "trap '' TERM; while :; do :; done"], {
      timeoutMs: 200,
      killAfterMs: 100,
    });
    expect(r).toMatchObject({ exitCode: undefined, timedOut: true });
  });

  it("keeps large output whole, multi-byte characters across chunks included", async () => {
    const r = await runCommand(...node("process.stdout.write('é'.repeat(3_000_001))"), { timeoutMs: 30_000 });
    expect(r.exitCode).toBe(0);
    expect(r.stdout.length).toBe(3_000_001);
    expect(r.stdout).toBe("é".repeat(3_000_001));
  });

  it("stops a command whose output passes maxBuffer", async () => {
    const r = await runCommand("yes", ["x"], { timeoutMs: 30_000, maxBuffer: 1_000_000 });
    expect(r).toMatchObject({ timedOut: false, code: "ERR_CHILD_PROCESS_STDIO_MAXBUFFER" });
    // 1 000 000 bytes of "x\n", the last newline removed.
    expect(r.stdout).toBe("x\n".repeat(500_000).slice(0, -1));
  });
});
