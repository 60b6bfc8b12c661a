import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { loadModel, type ModelMemo } from "./load-model";

const EXAMPLE = fileURLToPath(new URL("../../../deploy/examples/model", import.meta.url));

describe("loadModel", () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  it("loads the example model of deploy/examples", async () => {
    const result = await loadModel(EXAMPLE);
    if (!result.ok) throw new Error(result.errors.map((e) => e.describe()).join("\n"));
    const { model } = result;
    expect(model.cluster.environments).toEqual(["dev1", "test", "production"]);
    expect(model.guests.map((g) => [g.kind, g.vmid, g.name, g.swarmRole])).toEqual([
      ["vm", 1001, "portainer", "manager"],
      ["vm", 1002, "drphoenix", "worker"],
      ["lxc", 950, "vllmqwen", "worker"],
      ["lxc", 960, "dockerlxc", "worker"],
    ]);
    expect(Object.keys(model.stacks).sort()).toEqual([
      "portainer",
      "qdrant_service",
      "thinkheads_ai_app",
      "traefik",
    ]);
    // Proxmox keys survive untouched
    expect(model.guests[0]!.config.network_config).toEqual({ ip: "10.0.0.101/24", gw: "10.0.0.1" });
    expect(model.stacks.portainer!.compose.services).toEqual(["agent", "portainer"]);
  });

  it("reports files it cannot find or parse, all at once", async () => {
    const dir = await mkdtemp(join(tmpdir(), "phoenix-model-"));
    dirs.push(dir);
    await mkdir(join(dir, "etc"));
    await mkdir(join(dir, "stacks", "web"), { recursive: true });
    await writeFile(join(dir, "etc", "phoenix_cluster.json"), '{"name": "lab", "environments": ["dev1"]}');
    await writeFile(
      join(dir, "etc", "phoenix_vm_configs.json"),
      '{"vms": [\n  {"vmid": 101, "name": "a",}\n]}',
    );
    await writeFile(join(dir, "stacks", "web", "docker-compose.yml"), "services:\n  web:\n    image: x\n");
    const result = await loadModel(dir);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => e.describe())).toEqual([
      "etc/phoenix_vm_configs.json: invalid JSON: expected a double-quoted property name, found '}' (line 2, column 29)",
      "stacks/web: missing phoenix.json",
    ]);
  });

  it("reads every file of a stack directory, symlinked ones and .env included", async () => {
    const dir = await mkdtemp(join(tmpdir(), "phoenix-model-"));
    dirs.push(dir);
    await mkdir(join(dir, "etc"));
    await mkdir(join(dir, "shared"));
    await mkdir(join(dir, "stacks", "web", "conf"), { recursive: true });
    await writeFile(join(dir, "etc", "phoenix_cluster.json"), '{"name": "lab", "environments": ["dev1"]}');
    await writeFile(join(dir, "shared", "nginx.conf"), "server {}");
    await symlink(join(dir, "shared", "nginx.conf"), join(dir, "stacks", "web", "conf", "nginx.conf"));
    await writeFile(join(dir, "stacks", "web", ".env"), "TAG=1\n");
    await writeFile(join(dir, "stacks", "web", "phoenix.json"), '{"environments": {"dev1": {}}}');
    await writeFile(
      join(dir, "stacks", "web", "docker-compose.yml"),
      "services:\n  web:\n    image: nginx:$TAG\n",
    );
    const result = await loadModel(dir);
    if (!result.ok) throw new Error(result.errors.map((e) => e.describe()).join("\n"));
    expect(Object.keys(result.model.stacks.web!.files).sort()).toEqual([
      "stacks/web/.env",
      "stacks/web/conf/nginx.conf",
      "stacks/web/docker-compose.yml",
      "stacks/web/phoenix.json",
    ]);
    expect(result.model.stacks.web!.files["stacks/web/conf/nginx.conf"]).toBe("server {}");
    expect(result.model.guests).toEqual([]);
  });

  it("says so when the directory does not exist", async () => {
    const result = await loadModel(join(tmpdir(), "phoenix-no-such-model-dir"));
    expect(result.ok ? [] : result.errors.map((e) => e.message)).toEqual(["model directory not found"]);
  });
  it("gives the memo's result for the same files and parses again when one changed", async () => {
    const dir = await mkdtemp(join(tmpdir(), "phoenix-model-"));
    dirs.push(dir);
    await mkdir(join(dir, "etc"));
    await mkdir(join(dir, "stacks", "web"), { recursive: true });
    await writeFile(join(dir, "etc", "phoenix_cluster.json"), '{"name": "lab", "environments": ["dev1"]}');
    await writeFile(join(dir, "stacks", "web", "phoenix.json"), '{"environments": {"dev1": {}}}');
    const compose = join(dir, "stacks", "web", "docker-compose.yml");
    await writeFile(compose, "services:\n  web:\n    image: nginx:1\n");
    const memo: ModelMemo = {};
    const first = await loadModel(dir, memo);
    const again = await loadModel(dir, memo);
    expect(first.ok).toBe(true);
    expect(again).toBe(first);

    await writeFile(compose, "services:\n  web:\n    image: nginx:2\n");
    const changed = await loadModel(dir, memo);
    expect(changed).not.toBe(first);
    if (!changed.ok) throw new Error("the changed model should validate");
    expect(changed.model.stacks.web!.compose.text).toContain("nginx:2");

    // A file that breaks the model is reported, and the memo does not hide it on the next read.
    await writeFile(join(dir, "etc", "phoenix_cluster.json"), "{");
    expect((await loadModel(dir, memo)).ok).toBe(false);
    expect((await loadModel(dir, memo)).ok).toBe(false);
  });
});
