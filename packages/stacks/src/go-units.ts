// Value parsers that follow the Go libraries Docker uses for compose files, so that "1.5s",
// "512M" and "0.25" mean exactly what they mean to `docker stack deploy`.

const DURATION_UNITS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  "\u00b5s": 1e3,
  "\u03bcs": 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Go's `time.ParseDuration`, in nanoseconds; `undefined` when the text is not a duration. */
export function parseGoDuration(text: string): number | undefined {
  let s = text;
  let negative = false;
  if (s.startsWith("-") || s.startsWith("+")) {
    negative = s[0] === "-";
    s = s.slice(1);
  }
  if (s === "0") return 0;
  if (s === "") return undefined;
  let total = 0;
  while (s !== "") {
    const m = /^([0-9]*)(?:\.([0-9]*))?/.exec(s);
    const whole = m?.[1] ?? "";
    const frac = m?.[2];
    if (whole === "" && (frac === undefined || frac === "")) return undefined;
    s = s.slice(m?.[0].length ?? 0);
    const u = /^[^0-9.]+/.exec(s);
    if (!u) return undefined;
    const unit = DURATION_UNITS[u[0]];
    if (unit === undefined) return undefined;
    s = s.slice(u[0].length);
    let v = whole === "" ? 0 : Number(whole) * unit;
    if (frac) v += Math.trunc(Number(frac) * (unit / 10 ** frac.length));
    total += v;
  }
  return negative ? -total : total;
}

const SIZE_MULTIPLIERS: Record<string, number> = {
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  t: 1024 ** 4,
  p: 1024 ** 5,
};

/** go-units `RAMInBytes` ("512m", "1.5GiB", "100" → bytes); `undefined` when invalid. */
export function parseRamInBytes(text: string): number | undefined {
  let sep = -1;
  for (let i = text.length - 1; i >= 0; i--) {
    if ("0123456789. ".includes(text[i] as string)) {
      sep = i;
      break;
    }
  }
  if (sep === -1) return undefined;
  const num = text[sep] === " " ? text.slice(0, sep) : text.slice(0, sep + 1);
  let sfx = text.slice(sep + 1);
  const size = parseGoFloat(num);
  if (size === undefined || size < 0) return undefined;
  if (sfx === "") return Math.trunc(size);
  if (sfx.length > 3) return undefined;
  sfx = sfx.toLowerCase();
  if (sfx[0] === "b") return sfx.length > 1 ? undefined : Math.trunc(size);
  const mul = SIZE_MULTIPLIERS[sfx[0] as string];
  if (mul === undefined) return undefined;
  if (sfx.length === 2 && sfx[1] !== "b") return undefined;
  if (sfx.length === 3 && sfx.slice(1) !== "ib") return undefined;
  return Math.trunc(size * mul);
}

/** Go's `strconv.ParseFloat` for decimal text. */
export function parseGoFloat(text: string): number | undefined {
  if (!/^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/.test(text)) return undefined;
  return Number(text);
}

/**
 * Docker's `opts.ParseCPUs` ("0.5" → 500000000 nano CPUs): an exact rational, rejected when it
 * is finer than a nano CPU.
 */
export function parseNanoCpus(text: string): number | { error: string } {
  const rational = parseRational(text);
  if (!rational) return { error: `failed to parse ${text} as a rational number` };
  const [num, den] = rational;
  const scaled = num * 1_000_000_000n;
  if (scaled % den !== 0n) return { error: "value is too precise" };
  return Number(scaled / den);
}

function parseRational(text: string): [bigint, bigint] | undefined {
  const slash = text.indexOf("/");
  if (slash >= 0) {
    const a = /^[+-]?[0-9]+$/.test(text.slice(0, slash)) ? BigInt(text.slice(0, slash)) : undefined;
    const b = /^[0-9]+$/.test(text.slice(slash + 1)) ? BigInt(text.slice(slash + 1)) : undefined;
    if (a === undefined || b === undefined || b === 0n) return undefined;
    return [a, b];
  }
  const m = /^([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?$/.exec(text);
  if (!m || (m[2] === "" && (m[3] ?? "") === "")) return undefined;
  const digits = `${m[2]}${m[3] ?? ""}` || "0";
  let num = BigInt(digits) * (m[1] === "-" ? -1n : 1n);
  let den = 10n ** BigInt((m[3] ?? "").length);
  const exp = Number(m[4] ?? "0");
  if (exp > 0) num *= 10n ** BigInt(exp);
  else if (exp < 0) den *= 10n ** BigInt(-exp);
  return [num, den];
}

/** Go's `fmt.Sprint` of a float64 (`%v`: shortest digits, exponent form below 1e-4 and from 1e6). */
export function formatGoFloat(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v === 0) return Object.is(v, -0) ? "-0" : "0";
  const [mantissa, e] = v.toExponential().split("e") as [string, string];
  const exponent = Number(e);
  if (exponent < -4 || exponent >= 6) {
    const sign = exponent < 0 ? "-" : "+";
    const abs = Math.abs(exponent);
    return `${mantissa}e${sign}${abs < 10 ? `0${abs}` : abs}`;
  }
  return String(v);
}
