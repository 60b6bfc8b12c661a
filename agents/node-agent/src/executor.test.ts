import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ErrorCode } from "@phoenix/errors";
import {
  type Command,
  CommandSchema,
  create,
  type Inventory,
  InventorySchema,
  timestampFromMs,
} from "@phoenix/proto";
import { afterAll, describe, expect, it } from "vitest";
import { createDockerProvider } from "./docker";
import { createExecutor, type ExecutorOptions } from "./executor";
import { createLogger } from "./logger";

const JOIN_TOKEN = "SWMTKN-1-49nj1cmql0jkz5s954yi3oex3nedyz0fb0xx14ie39trti4wxv-8vxv8rssmk743ojnwacrr2e7c";
const dir = mkdtempSync(join(tmpdir(), "phoenix-exec-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function setup(over: Partial<ExecutorOptions> = {}) {
  const lines: string[] = [];
  let refreshes = 0;
  const inventory = create(InventorySchema, { host: { hostname: "g1" } });
  const executor = createExecutor({
    // A socket path where nothing listens: every Docker call fails as it does with dockerd down.
    docker: createDockerProvider(join(dir, "no-docker.sock")),
    refreshInventory: async () => {
      refreshes++;
      await new Promise((r) => setTimeout(r, 50));
      return inventory;
    },
    log: createLogger("debug", { write: (s: string) => lines.push(s) }),
    ...over,
  });
  return { executor, lines, refreshes: () => refreshes };
}

let n = 0;
const command = (init: Parameters<typeof create<typeof CommandSchema>>[1]): Command =>
  create(CommandSchema, { id: `c${++n}`, deadline: timestampFromMs(Date.now() + 10_000), ...init });
const noProgress = () => {};

describe("executor", () => {
  it("answers ping at once with its payload and never replays it", async () => {
    const { executor } = setup();
    const payload = new Uint8Array([1, 2, 3]);
    const a = await executor.execute(
      command({ idempotencyKey: "p", kind: { case: "ping", value: { payload } } }),
      noProgress,
    );
    const b = await executor.execute(
      command({ idempotencyKey: "p", kind: { case: "ping", value: { payload } } }),
      noProgress,
    );
    expect(a.result).toEqual({ case: "ping", value: expect.objectContaining({ payload }) });
    expect([a.replayed, b.replayed]).toEqual([false, false]);
    expect(executor.knownKeys()).toEqual([]);
  });

  it("a repeated key returns the first result under the new command id, without acting again", async () => {
    const { executor, refreshes } = setup();
    const first = await executor.execute(
      command({ idempotencyKey: "r1", kind: { case: "refreshInventory", value: {} } }),
      noProgress,
    );
    const again = command({ idempotencyKey: "r1", kind: { case: "refreshInventory", value: {} } });
    const second = await executor.execute(again, noProgress);
    expect(refreshes()).toBe(1);
    expect(first.replayed).toBe(false);
    expect(second).toMatchObject({ commandId: again.id, idempotencyKey: "r1", replayed: true });
    expect((second.result.value as { inventory: Inventory }).inventory.host?.hostname).toBe("g1");
    expect(executor.knownKeys()).toContain("r1");
  });

  it("a key arriving while its first run is still going waits for that run", async () => {
    const { executor, refreshes } = setup();
    const [a, b] = await Promise.all([
      executor.execute(
        command({ idempotencyKey: "r2", kind: { case: "refreshInventory", value: {} } }),
        noProgress,
      ),
      executor.execute(
        command({ idempotencyKey: "r2", kind: { case: "refreshInventory", value: {} } }),
        noProgress,
      ),
    ]);
    expect(refreshes()).toBe(1);
    expect([a.replayed, b.replayed]).toEqual([false, true]);
  });

  it("answers TIMEOUT when the deadline passes, and the same key may run again", async () => {
    const { executor, refreshes } = setup({
      refreshInventory: () => new Promise<Inventory>(() => {}),
    });
    const started = Date.now();
    const r = await executor.execute(
      command({
        idempotencyKey: "t1",
        deadline: timestampFromMs(Date.now() + 150),
        kind: { case: "refreshInventory", value: {} },
      }),
      noProgress,
    );
    // The read never ends by itself: only the deadline can have ended it.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(r.error).toMatchObject({ code: ErrorCode.TIMEOUT, place: { command: "refresh_inventory" } });
    expect(r.error?.message).toMatch(/deadline passed after \d+ ms/);
    expect(executor.knownKeys()).not.toContain("t1");
    expect(refreshes()).toBe(0);
  });

  it("a cancel stops a read at once with CANCELLED and its reason, and the same key may run again", async () => {
    const { executor } = setup({ refreshInventory: () => new Promise<Inventory>(() => {}) });
    const cmd = command({ idempotencyKey: "x1", kind: { case: "refreshInventory", value: {} } });
    const started = Date.now();
    const answer = executor.execute(cmd, noProgress);
    await new Promise((r) => setTimeout(r, 20));
    expect(executor.cancel(cmd.id, "the caller left")).toBe(true);
    const r = await answer;
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(r.error).toMatchObject({ code: ErrorCode.CANCELLED, place: { command: "refresh_inventory" } });
    expect(r.error?.message).toMatch(/the caller left/);
    expect(executor.knownKeys()).not.toContain("x1");
    expect(executor.cancel(cmd.id, "again")).toBe(false);
  });

  it("a cancel leaves a write running to its end", async () => {
    // A Docker client that never becomes ready: the write stays at work until its deadline.
    const { executor, lines } = setup({ docker: () => new Promise(() => {}) });
    const cmd = command({
      deadline: timestampFromMs(Date.now() + 300),
      kind: { case: "swarmLeave", value: { force: false } },
    });
    const answer = executor.execute(cmd, noProgress);
    await new Promise((r) => setTimeout(r, 20));
    expect(executor.cancel(cmd.id, "the caller left")).toBe(false);
    expect((await answer).error?.code).toBe(ErrorCode.TIMEOUT);
    expect(lines.join("")).toMatch(/cancel of a write ignored/);
  });

  it("ignores a cancel for a command it does not run", () => {
    expect(setup().executor.cancel("nope", "the caller left")).toBe(false);
  });

  it("answers TIMEOUT at once for a deadline already past", async () => {
    const { executor, refreshes } = setup();
    const r = await executor.execute(
      command({ deadline: timestampFromMs(Date.now() - 1), kind: { case: "refreshInventory", value: {} } }),
      noProgress,
    );
    expect(r.error?.code).toBe(ErrorCode.TIMEOUT);
    expect(refreshes()).toBeLessThanOrEqual(1);
  });

  it("refuses a command without a kind", async () => {
    const { executor } = setup();
    const r = await executor.execute(command({}), noProgress);
    expect(r.error).toMatchObject({ code: ErrorCode.INVALID_ARGUMENT, place: { command: "unknown" } });
  });

  it.each([
    ["swarmInit", { advertiseAddr: "10.0.0.1" }, "swarm_init"],
    ["swarmLeave", { force: false }, "swarm_leave"],
    ["joinTokens", {}, "join_tokens"],
    ["swarmInspect", {}, "swarm_inspect"],
    ["serviceList", {}, "service_list"],
  ] as const)("%s with dockerd down is a DOCKER error naming the command", async (kind, value, name) => {
    const { executor } = setup();
    const r = await executor.execute(command({ kind: { case: kind, value } as Command["kind"] }), noProgress);
    expect(r.error).toMatchObject({ code: ErrorCode.DOCKER, place: { command: name } });
    expect(r.error?.message).toMatch(/Docker is not reachable \(ENOENT\)/);
  });

  it.each([
    [{ joinToken: "", remoteAddrs: ["10.0.0.1"] }, "join_token is empty"],
    [{ joinToken: JOIN_TOKEN, remoteAddrs: [] }, "remote_addrs is empty: give at least one manager address"],
  ])("refuses a bad swarm join %#", async (value, message) => {
    const { executor } = setup();
    const r = await executor.execute(command({ kind: { case: "swarmJoin", value } }), noProgress);
    expect(r.error).toMatchObject({ code: ErrorCode.INVALID_ARGUMENT, message });
  });

  it("never logs or returns a join token", async () => {
    const { executor, lines } = setup();
    const r = await executor.execute(
      command({
        idempotencyKey: "j1",
        kind: { case: "swarmJoin", value: { joinToken: JOIN_TOKEN, remoteAddrs: ["10.0.0.1"] } },
      }),
      noProgress,
    );
    expect(r.error?.code).toBe(ErrorCode.DOCKER);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join("\n")).not.toContain(JOIN_TOKEN);
    expect(JSON.stringify(r.error)).not.toContain(JOIN_TOKEN);
  });

  it("remembers results of state-changing commands across a restart when given a state dir", async () => {
    const stateDir = join(dir, "state");
    const first = setup({ stateDir }).executor;
    const leave = await first.execute(
      command({ idempotencyKey: "leave-1", kind: { case: "swarmLeave", value: {} } }),
      noProgress,
    );
    await first.execute(
      command({ idempotencyKey: "read-1", kind: { case: "swarmInspect", value: {} } }),
      noProgress,
    );
    expect(first.knownKeys()).toEqual(["leave-1", "read-1"]);

    const restarted = setup({ stateDir }).executor;
    expect(restarted.knownKeys()).toEqual(["leave-1"]);
    const again = await restarted.execute(
      command({ idempotencyKey: "leave-1", kind: { case: "swarmLeave", value: {} } }),
      noProgress,
    );
    expect(again.replayed).toBe(true);
    expect(again.error).toEqual(leave.error);
  });
});
