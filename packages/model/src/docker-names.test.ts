import { describe, expect, it } from "vitest";
import { hostnameProblem, parseLabel, projectNameProblem, swarmNameProblem } from "./docker-names";

describe("parseLabel", () => {
  it.each([
    ["gpu=true", "gpu", "true"],
    ["zone=rack1", "zone", "rack1"],
    ["a.b-c_d=x=y", "a.b-c_d", "x=y"],
    ["empty=", "empty", ""],
    ["Zone2=Rack 1", "Zone2", "Rack 1"],
  ])("accepts %s", (text, key, value) => {
    expect(parseLabel(text)).toEqual({ ok: true, label: { key, value } });
  });

  it.each([
    ["gpu", '"gpu" is not key=value'],
    ["=true", 'label key "" must not be empty'],
    ["my key=1", `label key "my key" may only contain letters, digits, '.', '-' and '_'`],
    [".zone=1", 'label key ".zone" must start and end with a letter or digit'],
    ["zone-=1", 'label key "zone-" must start and end with a letter or digit'],
    ["a..b=1", `label key "a..b" must not contain consecutive '.' or '-'`],
    ["com.docker.x=1", 'label key "com.docker.x" uses the prefix com.docker. reserved by Docker'],
    ["IO.Docker.x=1", 'label key "IO.Docker.x" uses the prefix io.docker. reserved by Docker'],
  ])("refuses %s", (text, problem) => {
    expect(parseLabel(text)).toEqual({ ok: false, problem });
  });
});

describe("name rules", () => {
  it.each([
    ["dev1", undefined],
    ["qdrant_service", undefined],
    ["thinkheads-ai", undefined],
    ["Prod", "must be lowercase letters, digits, '-' and '_', starting and ending with a letter or digit"],
    ["_x", "must be lowercase letters, digits, '-' and '_', starting and ending with a letter or digit"],
    ["x_", "must be lowercase letters, digits, '-' and '_', starting and ending with a letter or digit"],
    ["a.b", "must be lowercase letters, digits, '-' and '_', starting and ending with a letter or digit"],
    ["", "must not be empty"],
    ["a".repeat(64), "must be at most 63 characters"],
  ])("project name %j", (name, problem) => {
    expect(projectNameProblem(name)).toBe(problem);
  });

  it.each([
    ["dev1_qdrant_service_qdrant", undefined],
    [
      "dev1_app_web.v2",
      "is not a valid Swarm name (letters, digits, '-' and '_', starting and ending with a letter or digit)",
    ],
    [`dev1_${"x".repeat(60)}`, "is 65 characters long; Swarm allows at most 63"],
  ])("swarm name %j", (name, problem) => {
    expect(swarmNameProblem(name)).toBe(problem);
  });

  it.each([
    ["portainer", undefined],
    ["Dr-Phoenix", undefined],
    ["gpu-1.lab.example", undefined],
    ["dr_phoenix", "must be a DNS name: letters, digits and '-', dot-separated parts of 1-63 characters"],
    ["-x", "must be a DNS name: letters, digits and '-', dot-separated parts of 1-63 characters"],
    ["a..b", "must be a DNS name: letters, digits and '-', dot-separated parts of 1-63 characters"],
    ["", "must not be empty"],
  ])("guest name %j", (name, problem) => {
    expect(hostnameProblem(name)).toBe(problem);
  });
});
