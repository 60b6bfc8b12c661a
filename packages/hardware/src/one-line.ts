/** Joins the non-empty lines of a message into one line: "line one; line two". */
export function oneLine(text: string, maxLength = 300): string {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim().replace(/\s+/g, " "))
    .filter((l) => l !== "");
  const joined = lines.map((l, i) => (i < lines.length - 1 && !/[.!?;:]$/.test(l) ? `${l};` : l)).join(" ");
  return joined.length > maxLength ? `${joined.slice(0, maxLength - 1)}…` : joined;
}
