import { describe, expect, it } from "vitest";
import { shlexSplit } from "./shlex";

describe("shlexSplit", () => {
  it.each([
    ["bundle exec thin -p 3000", ["bundle", "exec", "thin", "-p", "3000"]],
    [`echo "hello world" && sleep 10 # comment`, ["echo", "hello world", "&&", "sleep", "10"]],
    [`-H tcp://tasks.agent:9001 --tlsskipverify`, ["-H", "tcp://tasks.agent:9001", "--tlsskipverify"]],
    [`a 'b c' "d \\" e" f\\ g`, ["a", "b c", 'd " e', "f g"]],
    [`a#b #c`, ["a#b"]],
    [`""`, [""]],
    [`"a\\b"`, ["ab"]],
    [`  spaced\n\targs  `, ["spaced", "args"]],
    [`# only a comment\nnext`, ["next"]],
  ])("%j", (text, words) => {
    expect(shlexSplit(text)).toEqual({ words });
  });

  it.each([
    [`"open`, "EOF found when expecting closing quote"],
    [`'open`, "EOF found when expecting closing quote"],
    [`trailing\\`, "EOF found after escape character"],
  ])("rejects %j", (text, error) => {
    expect(shlexSplit(text)).toEqual({ error });
  });
});
