/** Unit of a figure; decides how it prints. */
export type Unit = "MiB" | "%core" | "ms" | "s" | "x" | "writes" | "agents" | "count";

/** How a figure stands against its budget. */
export type Verdict = "within" | "over" | "FAIL" | "info" | "skipped";

/** A measurement taken beside the figure in the same run (the floor, the tool compared with). */
export interface Reference {
  label: string;
  value: number;
  unit: Unit;
}

/** One measured figure, as printed in the table and written to the JSON file. */
export interface Figure {
  /** Stable key for tools, e.g. "fanout.n1000.p99". */
  id: string;
  /** Benchmark it belongs to, e.g. "fan-out". */
  section: string;
  label: string;
  /** Undefined when the figure could not be measured (see note). */
  value?: number;
  unit: Unit;
  reference?: Reference;
  /** value / reference.value, when both are measured. */
  ratio?: number;
  /** The figure should be at most this. */
  budget?: number;
  /** Past this the run fails (exit 1): far past the budget, beyond what a shared machine's noise explains. */
  ciLimit?: number;
  verdict: Verdict;
  note?: string;
}

/** What a benchmark hands in; the verdict and ratio are derived. */
export type FigureInput = Omit<Figure, "verdict" | "ratio" | "ciLimit"> & {
  /** Default: budget × CI_FACTOR. */
  ciLimit?: number;
};

/**
 * How far past its budget a figure may go before the run fails: 3x by default. CI sets
 * PHOENIX_BENCH_CI_FACTOR=5 because its absolute times come from a shared 2-core machine.
 */
export const CI_FACTOR = ciFactor(process.env.PHOENIX_BENCH_CI_FACTOR);

/** Parses the CI factor; anything but a number of at least 1 is a clear error. */
export function ciFactor(text: string | undefined): number {
  if (text === undefined || text === "") return 3;
  const n = Number(text);
  if (!Number.isFinite(n) || n < 1) {
    throw new Error(`PHOENIX_BENCH_CI_FACTOR must be a number of at least 1, not "${text}"`);
  }
  return n;
}

/** Builds a figure: ratio against the reference, CI limit, verdict. */
export function figure(input: FigureInput): Figure {
  const f: Figure = { ...input, verdict: "info" };
  if (input.budget !== undefined) f.ciLimit = input.ciLimit ?? input.budget * CI_FACTOR;
  if (f.value !== undefined && f.reference && f.reference.value > 0 && f.reference.unit === f.unit) {
    f.ratio = f.value / f.reference.value;
  }
  f.verdict = verdictOf(f);
  return f;
}

/** A figure that could not be measured, with the reason. */
export function skipped(input: Omit<FigureInput, "value" | "note">, why: string): Figure {
  return figure({ ...input, note: why });
}

function verdictOf(f: Figure): Verdict {
  if (f.value === undefined || Number.isNaN(f.value)) return "skipped";
  if (f.budget === undefined) return "info";
  if (f.value <= f.budget) return "within";
  if (f.ciLimit !== undefined && f.value > f.ciLimit) return "FAIL";
  return "over";
}

/** True when some figure is past its CI limit. */
export function failed(figures: readonly Figure[]): boolean {
  return figures.some((f) => f.verdict === "FAIL");
}
