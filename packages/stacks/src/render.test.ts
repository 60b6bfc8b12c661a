import { PhoenixError } from "@phoenix/errors";
import { describe, expect, it } from "vitest";
import { renderedStackJson, renderStackSource } from "./render";

const files: Record<string, string> = { "/s/secret.txt": "s3cret\n" };
const render = (composeYaml: string, namespace = "app") =>
  renderStackSource({
    composeYaml,
    composeFile: "stack.yml",
    workingDir: "/s",
    namespace,
    readFile: (p) => {
      const text = files[p];
      if (text === undefined) throw new Error("ENOENT: no such file or directory");
      return new TextEncoder().encode(text);
    },
  });

function failure(yaml: string, namespace?: string): PhoenixError {
  try {
    render(yaml, namespace);
  } catch (e) {
    if (e instanceof PhoenixError) return e;
    throw e;
  }
  throw new Error("expected a failure");
}

describe("renderStackSource", () => {
  it("renders the minimal stack exactly as docker stack deploy sends it", () => {
    expect(JSON.parse(renderedStackJson(render("services:\n  web:\n    image: nginx\n")))).toEqual({
      namespace: "app",
      networks: [{ Name: "app_default", Driver: "overlay", Labels: { "com.docker.stack.namespace": "app" } }],
      secrets: [],
      configs: [],
      services: [
        {
          Name: "app_web",
          Labels: { "com.docker.stack.image": "nginx", "com.docker.stack.namespace": "app" },
          TaskTemplate: {
            ContainerSpec: { Image: "nginx:latest", Labels: { "com.docker.stack.namespace": "app" } },
            Networks: [{ Target: "app_default", Aliases: ["web"] }],
          },
          Mode: { Replicated: {} },
        },
      ],
      external: { networks: [], secrets: [], configs: [], volumes: [] },
      warnings: [],
    });
  });

  it("lists what must exist before the deploy", () => {
    const r = render(`
services:
  web:
    image: nginx
    networks: [pub]
    secrets: [token, local]
    volumes: [certs:/certs, data:/data]
networks:
  pub: {external: true}
secrets:
  token: {external: true, name: api-token}
  local: {file: ./secret.txt}
volumes:
  certs: {external: true}
  data: {}
  unused: {external: true}
`);
    expect(r.external).toEqual({
      networks: ["pub"],
      secrets: ["api-token"],
      configs: [],
      volumes: ["certs"],
    });
    expect(r.secrets.map((s) => s.Name)).toEqual(["app_local"]);
  });

  it.each([
    ["services:\n  web:\n    image: nginx\n    networks: [nope]", "services.web", 'undefined network "nope"'],
    [
      "services:\n  web:\n    image: Nginx/App",
      "services.web.image",
      "repository name (App) must be lowercase",
    ],
    ["services:\n  web:\n    build: .", "services.web.image", "no image"],
    [
      "services:\n  web:\n    image: x\n    secrets: [s]\nsecrets:\n  s: {file: ./missing}",
      "secrets.s.file",
      "cannot read /s/missing",
    ],
    [
      "services:\n  web:\n    image: x\n    deploy: {mode: global, replicas: 2}",
      "services.web",
      "replicas can only be used",
    ],
    ["services:\n  my.web:\n    image: x", "services.my.web", '"app_my.web" is not a valid Swarm name'],
    [
      `services:\n  ${"s".repeat(70)}:\n    image: x`,
      `services.${"s".repeat(70)}`,
      "is longer than 63 characters",
    ],
  ])("%j fails at %s", (yaml, path, message) => {
    const e = failure(yaml);
    expect(e.code).toBe("INVALID_COMPOSE");
    expect(e.place.path).toBe(path);
    expect(e.place.file).toBe("stack.yml");
    expect(e.message).toContain(message);
  });

  it.each([
    ["", "a namespace is needed"],
    ["bad namespace", "invalid namespace"],
    ["-x", "invalid namespace"],
  ])("rejects namespace %j", (ns, message) => {
    const e = failure("services:\n  web:\n    image: x\n", ns);
    expect(e.code).toBe("INVALID_ARGUMENT");
    expect(e.message).toContain(message);
  });

  it("keeps secret content out of error messages", () => {
    const e = failure(
      "services:\n  web:\n    image: x\n    secrets: [s, s2]\nsecrets:\n  s: {file: ./secret.txt}\n  s2: {file: ./nope}",
    );
    expect(e.message).not.toContain("s3cret");
  });
});
