import { open, readFile } from "node:fs/promises";
import { ErrorCode, PhoenixError } from "@phoenix/errors";
import { type Event, EventSchema, fromJsonString, toJsonString } from "@phoenix/proto";
import type { Logger } from "pino";
import { writeFileAtomic } from "./atomic-write";

/** What a history file held: its events (oldest first, at most the limit) and whether to rewrite it. */
export interface LoadedHistory {
  events: Event[];
  /** Lines in the file, good or bad. */
  lines: number;
  /** Lines that could not be read (a torn last line after a crash, or damage). */
  skipped: number;
  /** True when the file should be rewritten before appending (damaged, or not ending in a newline). */
  needsRewrite: boolean;
}

/**
 * Reads an append-only JSONL history. A torn or damaged line is skipped and logged;
 * a file of which no line can be read is refused, naming the file, and left as it is.
 */
export async function loadHistoryFile(path: string, limit: number, logger: Logger): Promise<LoadedHistory> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      return { events: [], lines: 0, skipped: 0, needsRewrite: false };
    }
    throw new PhoenixError(
      ErrorCode.INVALID_CONFIG,
      `cannot read the event history: ${(err as Error).message}`,
      {
        place: { file: path },
        cause: err,
      },
    );
  }
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  const events: Event[] = [];
  let skipped = 0;
  let lastSeq = 0n;
  for (const line of lines) {
    try {
      const ev = fromJsonString(EventSchema, line);
      if (ev.seq <= lastSeq) throw new Error(`seq ${ev.seq} after ${lastSeq}`);
      lastSeq = ev.seq;
      events.push(ev);
    } catch {
      skipped++;
    }
  }
  if (lines.length > 0 && events.length === 0 && skipped > 1) {
    throw new PhoenixError(
      ErrorCode.INVALID_CONFIG,
      `not an event history: none of its ${lines.length} lines is an event (the file was left as it is)`,
      { place: { file: path } },
    );
  }
  if (skipped > 0) {
    logger.warn({ file: path, skipped }, "event history: skipped unreadable lines");
  }
  return {
    events: events.slice(-limit),
    lines: lines.length,
    skipped,
    needsRewrite: skipped > 0 || (text.length > 0 && !text.endsWith("\n")),
  };
}

/**
 * Appends events to the history file in the background, one batch at a time with an fsync,
 * and rewrites it from the kept events (atomically) when it has grown past twice the limit
 * or when an earlier write failed.
 */
export class HistoryFileWriter {
  readonly path: string;
  readonly #limit: number;
  readonly #snapshot: () => readonly Event[];
  readonly #logger: Logger;
  #lines: number;
  #rewrite: boolean;
  #pending: string[] = [];
  #running: Promise<void> | undefined;

  constructor(
    path: string,
    opts: {
      limit: number;
      lines: number;
      needsRewrite: boolean;
      snapshot: () => readonly Event[];
      logger: Logger;
    },
  ) {
    this.path = path;
    this.#limit = opts.limit;
    this.#lines = opts.lines;
    this.#rewrite = opts.needsRewrite;
    this.#snapshot = opts.snapshot;
    this.#logger = opts.logger;
    if (this.#rewrite) this.#start();
  }

  /** Queues one event for the file; returns at once. */
  append(ev: Event): void {
    this.#pending.push(`${toJsonString(EventSchema, ev)}\n`);
    this.#start();
  }

  /** Resolves when everything queued so far is on disk (or its failure was logged). */
  async flush(): Promise<void> {
    while (this.#running) await this.#running;
  }

  #start(): void {
    if (this.#running) return;
    this.#running = this.#drain().finally(() => {
      this.#running = undefined;
    });
  }

  async #drain(): Promise<void> {
    while (this.#pending.length > 0 || this.#rewrite) {
      const batch = this.#pending;
      this.#pending = [];
      try {
        if (this.#rewrite || this.#lines + batch.length > this.#limit * 2) {
          // The kept events already include this batch: rewrite instead of appending.
          const events = this.#snapshot();
          await writeFileAtomic(this.path, events.map((ev) => `${toJsonString(EventSchema, ev)}\n`).join(""));
          this.#lines = events.length;
          this.#rewrite = false;
        } else {
          const fh = await open(this.path, "a", 0o600);
          try {
            await fh.writeFile(batch.join(""));
            await fh.datasync();
          } finally {
            await fh.close();
          }
          this.#lines += batch.length;
        }
      } catch (err) {
        // A half-done append is repaired by rewriting the file from memory next time.
        this.#rewrite = true;
        this.#logger.error(
          { file: this.path, events: batch.length, err: (err as Error).message },
          "event history: write failed; will rewrite the file with the next event",
        );
        return;
      }
    }
  }
}
