import { ErrorCode, PhoenixError } from "@phoenix/errors";
import { describe, expect, it } from "vitest";
import { reportError } from "./report-error";

describe("reportError", () => {
  it.each([
    [ErrorCode.UNAVAILABLE, 3, /cannot reach the coordinator at 10\.0\.0\.1:7443/],
    [ErrorCode.UNAUTHENTICATED, 2, /refused the API token/],
    [ErrorCode.PERMISSION_DENIED, 2, /not allowed/],
    [ErrorCode.INVALID_MODEL, 2, /^phoenix: bad/],
    [ErrorCode.DEPLOY_FAILED, 1, /^phoenix: bad/],
  ])("%s exits %i", (code, exitCode, message) => {
    const r = reportError(new PhoenixError(code, "bad"), "10.0.0.1:7443");
    expect(r.exitCode).toBe(exitCode);
    expect(r.message).toMatch(message);
  });

  it("an unknown error is a bug report, not a stack trace", () => {
    const r = reportError(new TypeError("x is undefined"), undefined);
    expect(r.exitCode).toBe(1);
    expect(r.message).toContain("This is a bug in phoenix");
    expect(r.message).not.toMatch(/\n\s+at /);
  });

  it("lists every detail of a model error", () => {
    const err = new PhoenixError(ErrorCode.INVALID_MODEL, "the model has 2 errors", {
      details: [
        new PhoenixError(ErrorCode.INVALID_MODEL, "duplicate vmid 1001", {
          place: { file: "etc/phoenix_vm_configs.json", path: "$.vms[1].vmid" },
        }),
        new PhoenixError(ErrorCode.INVALID_MODEL, '"gpu" is not key=value', {
          place: { file: "etc/phoenix_lxc_configs.json", path: "$.lxcs[0].node_labels[0]" },
        }),
      ],
    });
    expect(reportError(err, "x:1").message).toBe(
      'phoenix: the model has 2 errors\n  - etc/phoenix_vm_configs.json at $.vms[1].vmid: duplicate vmid 1001\n  - etc/phoenix_lxc_configs.json at $.lxcs[0].node_labels[0]: "gpu" is not key=value',
    );
  });
});
