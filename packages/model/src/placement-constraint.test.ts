import { describe, expect, it } from "vitest";
import { parsePlacementConstraint } from "./placement-constraint";

describe("parsePlacementConstraint", () => {
  it.each([
    ["node.labels.gpu == true", "node.labels.gpu", "==", "true"],
    ["node.labels.gpu==true", "node.labels.gpu", "==", "true"],
    ["node.role != manager", "node.role", "!=", "manager"],
    ["node.role == Worker", "node.role", "==", "Worker"],
    ["node.hostname == gpu-1", "node.hostname", "==", "gpu-1"],
    ["node.id == 2ivku8v2gvtg4", "node.id", "==", "2ivku8v2gvtg4"],
    ["node.platform.os == linux", "node.platform.os", "==", "linux"],
    ["node.platform.arch != aarch64", "node.platform.arch", "!=", "aarch64"],
    ["engine.labels.operatingsystem == ubuntu 24.04", "engine.labels.operatingsystem", "==", "ubuntu 24.04"],
    [
      "node.labels.phoenix.gpu.product == NVIDIA-GeForce-RTX-4090",
      "node.labels.phoenix.gpu.product",
      "==",
      "NVIDIA-GeForce-RTX-4090",
    ],
    ["node.ip == 10.0.0.0/24", "node.ip", "==", "10.0.0.0/24"],
    ["node.ip != 2001:db8::2", "node.ip", "!=", "2001:db8::2"],
    ["NODE.LABELS.zone == rack1", "NODE.LABELS.zone", "==", "rack1"],
  ])("accepts %s", (expr, key, operator, value) => {
    expect(parsePlacementConstraint(expr)).toEqual({ ok: true, constraint: { key, operator, value } });
  });

  it.each([
    ["node.labels.gpu = true", '"node.labels.gpu = true" needs one operator, == or !='],
    ["node.labels.gpu", '"node.labels.gpu" needs one operator, == or !='],
    ["node.labels.gpu > 1", '"node.labels.gpu > 1" needs one operator, == or !='],
    ["== true", '"== true": key "" is invalid'],
    ["1node == x", '"1node == x": key "1node" is invalid'],
    ["node.labels.gpu == ", '"node.labels.gpu == ": value "" is invalid'],
    ["node.labels.gpu == a<b", '"node.labels.gpu == a<b": value "a<b" is invalid'],
    [
      "node.labels.gpu == true == false",
      '"node.labels.gpu == true == false": value "true == false" is invalid',
    ],
    ["node.labels. == x", '"node.labels. == x": node.labels.<key> needs a label key'],
    [
      "node.name == a",
      '"node.name == a": unknown key "node.name"; Swarm knows node.id, node.hostname, node.ip, node.role, node.platform.os, node.platform.arch, node.labels.<key> and engine.labels.<key>',
    ],
    [
      "labels.gpu == true",
      '"labels.gpu == true": unknown key "labels.gpu"; Swarm knows node.id, node.hostname, node.ip, node.role, node.platform.os, node.platform.arch, node.labels.<key> and engine.labels.<key>',
    ],
    ["node.role == boss", '"node.role == boss": node.role is manager or worker'],
    ["node.ip == 10.0.0.300", '"node.ip == 10.0.0.300": node.ip needs an IP address or a CIDR network'],
    ["node.ip == 10.0.0.0/33", '"node.ip == 10.0.0.0/33": node.ip needs an IP address or a CIDR network'],
  ])("refuses %s", (expr, problem) => {
    expect(parsePlacementConstraint(expr)).toEqual({ ok: false, problem });
  });
});
