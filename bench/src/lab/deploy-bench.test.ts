import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { BENCH_MODEL } from "./bench-lab";
import { withEnvironmentNetwork } from "./deploy-bench";

describe("withEnvironmentNetwork", () => {
  it("adds Phoenix's environment network to every service of the benchmark stack and keeps the rest", async () => {
    const source = join(BENCH_MODEL, "stacks/webshop/docker-compose.yml");
    const dir = await mkdtemp(join(tmpdir(), "bench-envnet-"));
    const out = join(dir, "compose.yml");
    await withEnvironmentNetwork(source, out);
    const before = parse(await readFile(source, "utf8"));
    const after = parse(await readFile(out, "utf8"));
    await rm(dir, { recursive: true });
    expect(Object.keys(after.services)).toHaveLength(10);
    for (const [name, svc] of Object.entries<{ networks: string[] }>(after.services)) {
      expect(svc.networks).toEqual([...before.services[name].networks, "phoenix_env"]);
      expect({ ...svc, networks: undefined }).toEqual({ ...before.services[name], networks: undefined });
    }
    expect(after.networks.phoenix_env).toEqual({ external: true, name: "phoenix_env_bench" });
    expect(after.volumes).toEqual(before.volumes);
  });
});
