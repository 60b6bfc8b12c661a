import type { Figure, Unit } from "./figures";

/** A number with its unit, rounded for people. */
export function formatValue(value: number | undefined, unit: Unit): string {
  if (value === undefined || Number.isNaN(value)) return "-";
  const digits = (v: number) => (Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2);
  const n = (v: number, d = digits(v)) => v.toLocaleString("en-US", { maximumFractionDigits: d });
  switch (unit) {
    case "MiB":
      return `${n(value, 1)} MiB`;
    case "%core":
      return `${n(value, 2)} %`;
    case "ms":
      return `${n(value)} ms`;
    case "s":
      return `${n(value)} s`;
    case "x":
      return `${n(value, 2)}x`;
    case "writes":
      return `${n(value, 0)} writes`;
    case "agents":
      return `${n(value, 0)} agents`;
    case "count":
      return n(value, 0);
  }
}

function budgetText(f: Figure, limit: number | undefined): string {
  return limit === undefined ? "" : `<= ${formatValue(limit, f.unit)}`;
}

function sideBySide(f: Figure): string {
  if (!f.reference) return "";
  const ref = `${f.reference.label} ${formatValue(f.reference.value, f.reference.unit)}`;
  return f.ratio === undefined ? ref : `${ref} (ratio ${formatValue(f.ratio, "x")})`;
}

/**
 * Renders the figures as one plain-text table (a column per field, a rule between sections), with
 * the notes numbered below it.
 */
export function renderTable(figures: readonly Figure[]): string {
  const notes: string[] = [];
  const rows = figures.map((f) => {
    let mark = "";
    if (f.note) {
      notes.push(f.note);
      mark = ` [${notes.length}]`;
    }
    return {
      section: f.section,
      cells: [
        f.section,
        `${f.label}${mark}`,
        formatValue(f.value, f.unit),
        sideBySide(f),
        budgetText(f, f.budget),
        budgetText(f, f.ciLimit),
        f.verdict,
      ],
    };
  });
  const header = ["benchmark", "figure", "value", "measured beside it", "budget", "CI limit", "verdict"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r.cells[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  const out = [line(header), rule];
  let section: string | undefined;
  for (const r of rows) {
    if (section !== undefined && r.section !== section) out.push(rule);
    out.push(line(section === r.section ? ["", ...r.cells.slice(1)] : r.cells));
    section = r.section;
  }
  if (notes.length > 0) {
    out.push("");
    notes.forEach((n, i) => {
      out.push(`[${i + 1}] ${n}`);
    });
  }
  return `${out.join("\n")}\n`;
}
