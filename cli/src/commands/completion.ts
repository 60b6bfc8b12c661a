import { ErrorCode, PhoenixError } from "@phoenix/errors";
import type { Command } from "commander";
import type { CommandContext } from "../context";

interface Tree {
  words: string[];
  children: Map<string, Tree>;
}

function treeOf(cmd: Command): Tree {
  const children = new Map<string, Tree>();
  for (const c of cmd.commands) children.set(c.name(), treeOf(c));
  const words = [
    ...children.keys(),
    ...cmd.options.map((o) => o.long).filter((l): l is string => Boolean(l)),
    "--help",
  ];
  return { words, children };
}

/** A bash completion script covering every command, subcommand and flag. */
export function bashCompletion(program: Command): string {
  const cases: string[] = [];
  const walk = (path: string[], t: Tree) => {
    cases.push(`    "${path.join(" ")}") words="${t.words.join(" ")}" ;;`);
    for (const [name, child] of t.children) walk([...path, name], child);
  };
  walk([], treeOf(program));
  return `# bash completion for phoenix
_phoenix() {
  local cur path="" words w i
  cur="\${COMP_WORDS[COMP_CWORD]}"
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    [[ "$w" == -* ]] && continue
    if [[ -z "$path" ]]; then path="$w"; else path="$path $w"; fi
  done
  case "$path" in
${cases.join("\n")}
    *) words="" ;;
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -F _phoenix phoenix
`;
}

/** `phoenix completion [bash|zsh]` */
export async function completion(ctx: CommandContext, shell: string): Promise<number> {
  const { buildProgram } = await import("../main");
  const script = bashCompletion(buildProgram());
  if (shell === "bash") ctx.out.line(script);
  else if (shell === "zsh") ctx.out.line(`autoload -U +X bashcompinit && bashcompinit\n${script}`);
  else throw new PhoenixError(ErrorCode.INVALID_ARGUMENT, `unknown shell "${shell}" (bash or zsh)`);
  return 0;
}
