// Splits a command string into words the way Docker's compose loader does (google/shlex):
// POSIX-like quoting, a backslash escapes any character (also inside double quotes), and `#`
// at the start of a word begins a comment that runs to the end of the line.

/** Result of a split: the words, or the reason the text cannot be split. */
export type ShlexResult = { words: string[] } | { error: string };

const SPACE = " \t\r\n";

/** Splits `text` into words; unbalanced quotes or a trailing backslash are errors. */
export function shlexSplit(text: string): ShlexResult {
  const words: string[] = [];
  const chars = [...text];
  let i = 0;
  for (;;) {
    // start state: skip blanks, comments
    while (i < chars.length && SPACE.includes(chars[i] as string)) i++;
    if (i >= chars.length) return { words };
    if (chars[i] === "#") {
      while (i < chars.length && chars[i] !== "\n") i++;
      continue;
    }
    let word = "";
    let state: "word" | "escape" | "double" | "double-escape" | "single" = "word";
    let done = false;
    while (!done) {
      const c = chars[i];
      i++;
      switch (state) {
        case "word":
          if (c === undefined || SPACE.includes(c)) done = true;
          else if (c === '"') state = "double";
          else if (c === "'") state = "single";
          else if (c === "\\") state = "escape";
          else word += c;
          break;
        case "escape":
          if (c === undefined) return { error: "EOF found after escape character" };
          word += c;
          state = "word";
          break;
        case "double":
          if (c === undefined) return { error: "EOF found when expecting closing quote" };
          if (c === '"') state = "word";
          else if (c === "\\") state = "double-escape";
          else word += c;
          break;
        case "double-escape":
          if (c === undefined) return { error: "EOF found after escape character" };
          word += c;
          state = "double";
          break;
        case "single":
          if (c === undefined) return { error: "EOF found when expecting closing quote" };
          if (c === "'") state = "word";
          else word += c;
          break;
      }
    }
    words.push(word);
  }
}
