import { PhoenixError } from "@phoenix/errors";
import { describe, expect, it } from "vitest";
import {
  environmentAlias,
  environmentNamespace,
  environmentNetwork,
  renameTraefikLabels,
  type StackManifest,
} from "./environment";
import { type RenderInput, renderStackSource } from "./render";

const compose = `
services:
  app:
    image: registry.local/thinkheads/app:\${APP_TAG:-1.0}
    environment:
      LOG_LEVEL: info
      API_URL: http://api:8080
    networks: [backend]
    deploy:
      replicas: 1
      labels:
        - traefik.http.routers.app.middlewares=auth,compress@file
        - traefik.http.middlewares.auth.basicauth.users=admin:x
  api:
    image: registry.local/thinkheads/api:1.0
    deploy:
      placement:
        constraints: [node.role == worker]
  agent:
    image: registry.local/thinkheads/agent:1.0
    deploy:
      mode: global
networks:
  backend: {}
`;

const manifest: StackManifest = {
  description: "thinkheads app",
  environments: {
    dev1: {
      variables: { APP_TAG: "dev" },
      services: {
        app: {
          traefik_labels: [
            "traefik.enable=true",
            "traefik.http.routers.app.rule=Host(`app.dev1.internal`)",
            "traefik.http.routers.app.entrypoints=web",
            "traefik.http.routers.app.service=app",
            "traefik.http.services.app.loadbalancer.server.port=8080",
          ],
          replicas: 3,
          environment: { LOG_LEVEL: "debug", FEATURE_X: true },
        },
        api: { placement_constraints: ["node.labels.gpu == true", "node.role == worker"] },
      },
    },
    test: {
      services: {
        app: {
          traefik_labels: {
            "traefik.enable": "true",
            "traefik.http.routers.app.rule": "Host(`app.test.internal`)",
          },
        },
      },
    },
  },
};

const render = (over: Partial<RenderInput> = {}) =>
  renderStackSource({
    composeYaml: compose,
    workingDir: "/stacks/thinkheads",
    stack: "thinkheads",
    env: "dev1",
    manifest,
    manifestFile: "stacks/thinkheads/phoenix.json",
    readFile: () => {
      throw new Error("no files");
    },
    ...over,
  });

describe("environments", () => {
  it("namespaces the stack as <env>_<stack>", () => {
    const r = render();
    expect(r.namespace).toBe("dev1_thinkheads");
    expect(r.services.map((s) => s.Name)).toEqual([
      "dev1_thinkheads_agent",
      "dev1_thinkheads_api",
      "dev1_thinkheads_app",
    ]);
    expect(r.networks.map((n) => n.Name)).toEqual(["dev1_thinkheads_backend", "dev1_thinkheads_default"]);
  });

  it("joins every service to the environment network, besides its own networks", () => {
    const r = render();
    const targets = Object.fromEntries(
      r.services.map((s) => [s.Name, s.TaskTemplate.Networks?.map((n) => n.Target)]),
    );
    expect(targets).toEqual({
      dev1_thinkheads_agent: ["dev1_thinkheads_default", "phoenix_env_dev1"],
      dev1_thinkheads_api: ["dev1_thinkheads_default", "phoenix_env_dev1"],
      dev1_thinkheads_app: ["dev1_thinkheads_backend", "phoenix_env_dev1"],
    });
    const app = r.services.find((s) => s.Name === "dev1_thinkheads_app");
    expect(app?.TaskTemplate.Networks).toEqual([
      { Target: "dev1_thinkheads_backend", Aliases: ["app"] },
      { Target: "phoenix_env_dev1", Aliases: ["app.thinkheads"] },
    ]);
    expect(r.environmentNetwork).toEqual(environmentNetwork("dev1"));
    expect(r.external.networks).toEqual([]);
  });

  it("names services on the environment network by <service>.<stack>, so stacks sharing it never share a name", () => {
    const composeYaml = `
services:
  db:
    image: postgres:16
    networks:
      default:
        aliases: [database]
  web:
    image: nginx:1.27
`;
    const networksOf = (stack: string, env: string) =>
      renderStackSource({
        composeYaml,
        workingDir: `/stacks/${stack}`,
        stack,
        env,
        readFile: () => {
          throw new Error("no files");
        },
      }).services.map((s) => [s.Name, s.TaskTemplate.Networks]);
    const byTarget = (list: { Target: string; Aliases: string[] }[]) =>
      list.sort((a, b) => (a.Target < b.Target ? -1 : 1));
    // Both sides of "phoenix_env": the stack's network sorts first in dev1, last in production.
    for (const env of ["dev1", "production"]) {
      expect(networksOf("shop", env)).toEqual([
        [
          `${env}_shop_db`,
          byTarget([
            { Target: `${env}_shop_default`, Aliases: ["database", "db"] },
            { Target: `phoenix_env_${env}`, Aliases: ["db.shop"] },
          ]),
        ],
        [
          `${env}_shop_web`,
          byTarget([
            { Target: `${env}_shop_default`, Aliases: ["web"] },
            { Target: `phoenix_env_${env}`, Aliases: ["web.shop"] },
          ]),
        ],
      ]);
    }
    // Two stacks with the same service names: no name on the shared network is theirs both.
    const onEnvironment = (stack: string) =>
      networksOf(stack, "production").flatMap(
        ([, networks]) =>
          (networks as { Target: string; Aliases?: string[] }[]).find(
            (n) => n.Target === "phoenix_env_production",
          )?.Aliases ?? [],
      );
    const shop = new Set(onEnvironment("shop"));
    expect(onEnvironment("blog")).toEqual(["db.blog", "web.blog"]);
    expect(onEnvironment("blog").filter((a) => shop.has(a))).toEqual([]);
    expect(environmentAlias("qdrant", "qdrant_service")).toBe("qdrant.qdrant_service");
  });

  it("describes the environment network as shared and Phoenix-owned", () => {
    expect(environmentNetwork("test")).toEqual({
      Name: "phoenix_env_test",
      Driver: "overlay",
      Labels: {
        "phoenix.environment": "test",
        "phoenix.managed": "true",
        "phoenix.role": "environment-network",
      },
      Attachable: true,
    });
    expect(environmentNetwork("test").Labels["com.docker.stack.namespace"]).toBeUndefined();
  });

  it("gives the environment network the subnet the cluster sets for it", () => {
    const ipam = { Driver: "default", Config: [{ Subnet: "10.42.0.0/20" }] };
    expect(environmentNetwork("test", "10.42.0.0/20").IPAM).toEqual(ipam);
    expect(render({ environmentSubnet: "10.42.0.0/20" }).environmentNetwork?.IPAM).toEqual(ipam);
    expect(render().environmentNetwork?.IPAM).toBeUndefined();
  });

  it.each([
    ["no cluster environments given", undefined, [], ["phoenix_env_test", "proxy"]],
    [
      "another environment's network",
      { dev1: undefined, test: "10.42.0.0/20" },
      [{ ...environmentNetwork("test", "10.42.0.0/20") }],
      ["proxy"],
    ],
    [
      "an environment the cluster does not have",
      { dev1: undefined, prod: undefined },
      [],
      ["phoenix_env_test", "proxy"],
    ],
  ])(
    "ensures the networks of other environments the stack joins: %s",
    (_, clusterEnvironments, others, external) => {
      const joins = `services:
  edge:
    image: traefik:v3.1
    networks: [test, proxy]
networks:
  test:
    external: true
    name: phoenix_env_test
  proxy:
    external: true
`;
      const r = render({
        composeYaml: joins,
        manifest: { environments: { dev1: { services: {} } } },
        ...(clusterEnvironments ? { clusterEnvironments } : {}),
      });
      expect(r.otherEnvironmentNetworks ?? []).toEqual(others);
      expect(r.external.networks).toEqual(external);
      expect(r.networks).toEqual([]);
    },
  );

  it("merges replicas, constraints, environment and variables per service", () => {
    const r = render();
    const app = r.services.find((s) => s.Name === "dev1_thinkheads_app");
    const api = r.services.find((s) => s.Name === "dev1_thinkheads_api");
    expect(app?.Mode).toEqual({ Replicated: { Replicas: 3 } });
    expect(app?.TaskTemplate.ContainerSpec.Env).toEqual([
      "API_URL=http://api:8080",
      "FEATURE_X=true",
      "LOG_LEVEL=debug",
    ]);
    expect(app?.TaskTemplate.ContainerSpec.Image).toBe("registry.local/thinkheads/app:dev");
    expect(app?.Labels["com.docker.stack.image"]).toBe("registry.local/thinkheads/app:dev");
    expect(api?.TaskTemplate.Placement?.Constraints).toEqual([
      "node.role == worker",
      "node.labels.gpu == true",
    ]);
  });

  it("explicit variables win over the environment's", () => {
    const app = render({ variables: { APP_TAG: "hotfix" }, dotEnv: "APP_TAG=from-dotenv\n" }).services.find(
      (s) => s.Name === "dev1_thinkheads_app",
    );
    expect(app?.TaskTemplate.ContainerSpec.Image).toBe("registry.local/thinkheads/app:hotfix");
    const fromDotEnv = render({ env: "test", dotEnv: "APP_TAG=from-dotenv\n" }).services.find(
      (s) => s.Name === "test_thinkheads_app",
    );
    expect(fromDotEnv?.TaskTemplate.ContainerSpec.Image).toBe("registry.local/thinkheads/app:from-dotenv");
  });

  it("makes traefik names unique per environment and points traefik at the environment network", () => {
    const labels = render().services.find((s) => s.Name === "dev1_thinkheads_app")?.Labels;
    expect(labels).toEqual({
      "com.docker.stack.image": "registry.local/thinkheads/app:dev",
      "com.docker.stack.namespace": "dev1_thinkheads",
      "traefik.docker.network": "phoenix_env_dev1",
      "traefik.enable": "true",
      "traefik.http.middlewares.dev1-thinkheads-auth.basicauth.users": "admin:x",
      "traefik.http.routers.dev1-thinkheads-app.entrypoints": "web",
      "traefik.http.routers.dev1-thinkheads-app.middlewares": "dev1-thinkheads-auth,compress@file",
      "traefik.http.routers.dev1-thinkheads-app.rule": "Host(`app.dev1.internal`)",
      "traefik.http.routers.dev1-thinkheads-app.service": "dev1-thinkheads-app",
      "traefik.http.services.dev1-thinkheads-app.loadbalancer.server.port": "8080",
      "traefik.swarm.network": "phoenix_env_dev1",
    });
    const test = render({ env: "test" }).services.find((s) => s.Name === "test_thinkheads_app")?.Labels;
    expect(test?.["traefik.http.routers.test-thinkheads-app.rule"]).toBe("Host(`app.test.internal`)");
    expect(test?.["traefik.swarm.network"]).toBe("phoenix_env_test");
  });

  it("leaves services without traefik labels alone", () => {
    const api = render().services.find((s) => s.Name === "dev1_thinkheads_api");
    expect(Object.keys(api?.Labels ?? {}).some((k) => k.startsWith("traefik."))).toBe(false);
  });

  it("renders the same specs twice", () => {
    expect(JSON.stringify(render())).toBe(JSON.stringify(render()));
  });

  it("dev1 and test share nothing but their images", () => {
    const a = render();
    const b = render({ env: "test" });
    const names = (r: typeof a) => [...r.networks, ...r.services].map((x) => x.Name);
    expect(names(a).filter((n) => names(b).includes(n))).toEqual([]);
    expect(a.environmentNetwork?.Name).not.toBe(b.environmentNetwork?.Name);
  });

  it.each([
    [{ env: "prod" }, "INVALID_MODEL", "environments.prod: environment not defined (defined: dev1, test)"],
    [
      { manifest: { environments: { dev1: { services: { ghost: {} } } } } },
      "INVALID_MODEL",
      'environments.dev1.services.ghost: no service "ghost" in the compose file',
    ],
    [
      { manifest: { environments: { dev1: { services: { agent: { replicas: 2 } } } } } },
      "INVALID_MODEL",
      "environments.dev1.services.agent.replicas: service runs in global mode",
    ],
    [
      { manifest: { environments: { dev1: { services: { app: { replicas: -1 } } } } } },
      "INVALID_MODEL",
      "environments.dev1.services.app.replicas: must be a whole number",
    ],
    [{ stack: "bad name" }, "INVALID_ARGUMENT", 'invalid stack name "bad name"'],
    [{ env: "dev.1" }, "INVALID_ARGUMENT", 'invalid environment name "dev.1"'],
    [
      { namespace: "other" },
      "INVALID_ARGUMENT",
      "namespace other does not match environment dev1 of stack thinkheads",
    ],
  ])("rejects %j", (over, code, message) => {
    try {
      render(over as Partial<RenderInput>);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(PhoenixError);
      expect((e as PhoenixError).code).toBe(code);
      expect((e as PhoenixError).message).toContain(message);
    }
  });

  it("warns when a service joins an external network every environment can join", () => {
    const r = render({
      composeYaml:
        "services:\n  web:\n    image: nginx\n    networks: [pub]\nnetworks:\n  pub: {external: true, name: traefik-public}\n",
      manifest: undefined,
    });
    expect(r.warnings).toContain(
      "service web joins external network traefik-public, which other environments can join too",
    );
    expect(r.external.networks).toEqual(["traefik-public"]);
  });
});

describe("renameTraefikLabels", () => {
  it("renames definitions and references the stack defines, across services", () => {
    const [a, b] = renameTraefikLabels(
      [
        {
          "traefik.tcp.routers.db.service": "db",
          "traefik.tcp.services.db.loadbalancer.server.port": "5432",
        },
        {
          "traefik.http.middlewares.chain.chain.middlewares": "strip, shared",
          "traefik.http.middlewares.strip.stripprefix.prefixes": "/x",
          "traefik.http.routers.web.service": "api@internal",
          "traefik.http.routers.web.middlewares": "chain",
          "traefik.enable": "true",
        },
      ],
      "dev1-s",
    );
    expect(a).toEqual({
      "traefik.tcp.routers.dev1-s-db.service": "dev1-s-db",
      "traefik.tcp.services.dev1-s-db.loadbalancer.server.port": "5432",
    });
    expect(b).toEqual({
      "traefik.http.middlewares.dev1-s-chain.chain.middlewares": "dev1-s-strip, shared",
      "traefik.http.middlewares.dev1-s-strip.stripprefix.prefixes": "/x",
      "traefik.http.routers.dev1-s-web.service": "api@internal",
      "traefik.http.routers.dev1-s-web.middlewares": "dev1-s-chain",
      "traefik.enable": "true",
    });
  });
});

describe("environmentNamespace", () => {
  it("joins environment and stack", () => {
    expect(environmentNamespace("dev1", "thinkheads_app")).toBe("dev1_thinkheads_app");
  });
});
