import { describe, expect, it } from "vitest";
import { classifyNvidiaSmiFailure } from "./nvidia-smi-failure";

describe("classifyNvidiaSmiFailure", () => {
  it.each([
    ["spawn ENOENT", undefined, "ENOENT"],
    ["a shell's command not found", 127, undefined],
  ])("%s means no NVIDIA GPUs, not an error", (_what, exitCode, spawnCode) => {
    expect(classifyNvidiaSmiFailure(exitCode, "", "sh: 1: nvidia-smi: not found", spawnCode)).toEqual({
      state: "none",
    });
  });

  it("reports status 127 without a shell's not-found message as an error", () => {
    expect(classifyNvidiaSmiFailure(127, "", "")).toMatchObject({ state: "error", reason: "failed" });
  });

  it("reports a failure without output by its exit status", () => {
    expect(classifyNvidiaSmiFailure(15, "", "  \n")).toEqual({
      state: "error",
      reason: "failed",
      message: "nvidia-smi failed (exit status 15) without output",
    });
  });

  it("reports a spawn error other than ENOENT", () => {
    expect(classifyNvidiaSmiFailure(undefined, "", "", "EACCES")).toEqual({
      state: "error",
      reason: "failed",
      message: "nvidia-smi failed (EACCES) without output",
    });
  });

  it("keeps the driver's wording when it is split over lines", () => {
    expect(
      classifyNvidiaSmiFailure(
        9,
        "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\nMake sure that the latest NVIDIA driver is installed and running.\n\n",
        "",
      ),
    ).toEqual({
      state: "error",
      reason: "driver-not-loaded",
      message:
        "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.",
    });
  });
});
