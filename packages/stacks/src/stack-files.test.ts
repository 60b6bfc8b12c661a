// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are compose interpolation syntax
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { renderStack } from "./stack-files";

const dir = mkdtempSync(join(tmpdir(), "phoenix-stacks-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(
  join(dir, "docker-compose.yml"),
  "services:\n  web:\n    image: nginx:${TAG:-1}\n    configs: [site]\n    volumes: [./html:/html]\nconfigs:\n  site: {file: ./site.conf}\n",
);
writeFileSync(join(dir, "site.conf"), "listen 80;\n");
writeFileSync(join(dir, ".env"), "TAG=2\n");
writeFileSync(join(dir, "other.env"), "TAG=3\n");

describe("renderStack (from disk)", () => {
  it("reads the compose file, the .env beside it and referenced files", () => {
    const r = renderStack({ composePath: join(dir, "docker-compose.yml"), namespace: "site" });
    const web = r.services[0];
    expect(web?.TaskTemplate.ContainerSpec.Image).toBe("nginx:2");
    expect(web?.TaskTemplate.ContainerSpec.Mounts).toEqual([
      { Type: "bind", Source: join(dir, "html"), Target: "/html" },
    ]);
    expect(r.configs[0]?.Data).toBe(Buffer.from("listen 80;\n").toString("base64"));
  });

  it("uses an explicit env file instead, and variables over both", () => {
    const composePath = join(dir, "docker-compose.yml");
    expect(
      renderStack({ composePath, namespace: "site", envFile: join(dir, "other.env") }).services[0]
        ?.TaskTemplate.ContainerSpec.Image,
    ).toBe("nginx:3");
    expect(
      renderStack({ composePath, namespace: "site", variables: { TAG: "4" } }).services[0]?.TaskTemplate
        .ContainerSpec.Image,
    ).toBe("nginx:4");
  });

  it("renders compose text against a working directory", () => {
    const r = renderStack({
      composeYaml: "services:\n  a:\n    image: x\n    volumes: [./d:/d]\n",
      workingDir: dir,
      namespace: "t",
    });
    expect(r.services[0]?.TaskTemplate.ContainerSpec.Mounts?.[0]?.Source).toBe(join(dir, "d"));
  });

  it("says which file it cannot read", () => {
    expect(() => renderStack({ composePath: join(dir, "missing.yml"), namespace: "x" })).toThrow(
      `cannot read compose file ${join(dir, "missing.yml")}`,
    );
  });
});
