/** Terminal output: tables for people, JSON for scripts, colour only on a terminal without NO_COLOR. */
export interface Output {
  readonly json: boolean;
  readonly color: boolean;
  readonly tty: boolean;
  line(text?: string): void;
  error(text: string): void;
  printJson(value: unknown): void;
  table(columns: string[], rows: string[][]): void;
  green(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

/** Creates the output for a stream, honouring NO_COLOR and --json. */
export function createOutput(opts: {
  json?: boolean;
  stdout?: NodeJS.WritableStream & { isTTY?: boolean };
  stderr?: NodeJS.WritableStream;
  env?: NodeJS.ProcessEnv;
}): Output {
  const stdout = opts.stdout ?? process.stdout;
  const stderr = opts.stderr ?? process.stderr;
  const env = opts.env ?? process.env;
  const tty = Boolean(stdout.isTTY);
  const color = tty && env.NO_COLOR === undefined && env.TERM !== "dumb";
  const paint = (code: number) => (s: string) => (color ? `\u001b[${code}m${s}\u001b[0m` : s);
  return {
    json: Boolean(opts.json),
    color,
    tty,
    line: (text = "") => void stdout.write(`${text}\n`),
    error: (text) => void stderr.write(`${text}\n`),
    printJson: (value) =>
      void stdout.write(
        `${JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v), 2)}\n`,
      ),
    table: (columns, rows) => void stdout.write(formatTable(columns, rows)),
    green: paint(32),
    red: paint(31),
    yellow: paint(33),
    dim: paint(2),
    bold: paint(1),
  };
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI colour codes to measure width
const ANSI = /\u001b\[[0-9;]*m/g;
const width = (s: string) => s.replace(ANSI, "").length;

/** Left-aligned columns separated by three spaces, like docker's tables. */
export function formatTable(columns: string[], rows: string[][]): string {
  const widths = columns.map((c, i) => Math.max(width(c), ...rows.map((r) => width(r[i] ?? ""))));
  const fmt = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + " ".repeat((widths[i] ?? 0) - width(c))))
      .join("   ")
      .trimEnd();
  return `${[fmt(columns), ...rows.map(fmt)].join("\n")}\n`;
}

/** "3m ago" style age of a date relative to now. */
export function formatAge(date: Date | undefined, now = Date.now()): string {
  if (!date) return "-";
  const s = Math.max(0, Math.round((now - date.getTime()) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86_400)}d ago`;
}

/** A stack environment's status in its colour: deployed green, incomplete yellow, the rest red. */
export function stackStatus(out: Pick<Output, "green" | "yellow" | "red">, status: string): string {
  if (status === "deployed") return out.green(status);
  return status === "incomplete" ? out.yellow(status) : out.red(status);
}
