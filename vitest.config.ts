import { defineConfig } from "vitest/config";

// Two projects: `unit` is pure logic plus loopback gRPC/NATS (no root needed);
// `sandbox` runs against real dockerd guests in network namespaces (root, serial).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["{packages,agents,coordinator,cli,bench}/**/src/**/*.test.ts"],
          exclude: ["**/node_modules/**", "**/*.sandbox.test.ts"],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: "sandbox",
          include: ["**/src/**/*.sandbox.test.ts", "test/**/*.test.ts"],
          exclude: ["**/node_modules/**"],
          fileParallelism: false,
          globalSetup: ["test/sandbox/global-setup.ts"],
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
