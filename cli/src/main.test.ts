import type { Command } from "commander";
import { describe, expect, it } from "vitest";
import { buildProgram } from "./main";

function all(c: Command, path: string[] = []): [string, Command][] {
  return c.commands.flatMap((sub) => {
    const p = [...path, sub.name()];
    return [[p.join(" "), sub] as [string, Command], ...all(sub, p)];
  });
}

function helpOf(c: Command): string {
  let text = "";
  c.configureOutput({ writeOut: (s) => (text += s), writeErr: (s) => (text += s) });
  c.outputHelp();
  return text;
}

describe("phoenix --help", () => {
  const commands = all(buildProgram());

  it("covers every command of the issue", () => {
    const names = commands.map(([n]) => n);
    for (const want of [
      "status",
      "nodes ls",
      "nodes inspect",
      "plan",
      "sync all",
      "swarm init",
      "swarm join",
      "swarm deploy",
      "swarm rm",
      "swarm status",
      "stacks ls",
      "services ls",
      "services ps",
      "services logs",
      "services scale",
      "events",
      "stack render",
      "completion",
    ]) {
      expect(names).toContain(want);
    }
  });

  it.each(all(buildProgram()).map(([name]) => [name]))("`phoenix %s --help` shows examples", (name) => {
    const cmd = commands.find(([n]) => n === name)![1];
    expect(helpOf(cmd)).toMatch(new RegExp(`Examples:\\n  phoenix ${name.split(" ")[0]}`));
  });

  it.each(
    all(buildProgram())
      .filter(
        ([name, c]) =>
          c.commands.length === 0 &&
          !["completion", "stack render", "services logs", "sync all"].includes(name),
      )
      .map(([name]) => [name]),
  )("`phoenix %s` offers --json", (name) => {
    const cmd = commands.find(([n]) => n === name)![1];
    expect(cmd.options.map((o) => o.long)).toContain("--json");
  });
});
