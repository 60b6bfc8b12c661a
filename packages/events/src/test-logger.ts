import { Writable } from "node:stream";
import { type Logger, pino } from "pino";

/** A pino logger whose JSON lines are kept in memory, so tests can assert on what was logged. */
export function captureLogger(): {
  logger: Logger;
  lines: Array<Record<string, unknown>>;
  text: () => string;
} {
  const lines: Array<Record<string, unknown>> = [];
  const raw: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split("\n")) {
        if (line.trim() === "") continue;
        raw.push(line);
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { logger: pino({ level: "debug" }, sink), lines, text: () => raw.join("\n") };
}
