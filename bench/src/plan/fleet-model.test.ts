import { parseModel } from "@phoenix/model";
import { describe, expect, it } from "vitest";
import { plan, simulateApply } from "../../../coordinator/src/planner";
import { desiredState } from "../../../coordinator/src/scheduler";
import { type FleetSize, fleetModelFiles, freshFleet, withDrift } from "./fleet-model";

const small: FleetSize = { guests: 100, stacks: 8, environments: ["dev1", "production"] };

function model() {
  const r = parseModel(fleetModelFiles(small));
  if (!r.ok) throw new Error(r.errors.map((e) => e.describe()).join("\n"));
  return r.model;
}

describe("generated fleet", () => {
  it("is a valid model of the asked size: VMs and LXCs, every stack pinned somewhere", () => {
    const m = model();
    expect(m.guests).toHaveLength(100);
    expect(m.guests.filter((g) => g.kind === "lxc")).toHaveLength(20);
    expect(Object.keys(m.stacks)).toHaveLength(8);
    const pinned = new Set(m.guests.flatMap((g) => g.dockerStacks));
    expect(pinned.size).toBe(8);
  });

  it("plans everything on a fresh fleet, nothing once converged, the drift once drifted", () => {
    const m = model();
    const planFor = (o: ReturnType<typeof freshFleet>) => plan(desiredState(m, o), o);
    const fresh = freshFleet(small);
    const first = planFor(fresh);
    const kinds = (p: typeof first) => new Set(p.steps.map((s) => s.kind));
    expect(kinds(first)).toEqual(
      new Set(["init-swarm", "join", "labels", "availability", "create-network", "deploy-stack"]),
    );
    const converged = simulateApply(fresh, first);
    expect(planFor(converged).steps).toEqual([]);
    const drifted = planFor(withDrift(converged));
    // One node in ten lost its labels; one in ten got a foreign Phoenix label (a step unless it has a GPU).
    const labels = drifted.steps.filter((s) => s.kind === "labels").length;
    expect(labels).toBeGreaterThanOrEqual(10);
    expect(labels).toBeLessThanOrEqual(20);
    expect(drifted.steps.filter((s) => s.kind === "deploy-stack")).toHaveLength(2);
  });
});
