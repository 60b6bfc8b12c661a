import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { type CommandResult, CommandResultSchema, fromJson, toJson } from "@phoenix/proto";
import type { Logger } from "./logger";

/** Results of commands by idempotency key, so a repeated key returns the first result. */
export interface IdempotencyCache {
  /** The recorded result for a key (and marks it recently used). */
  get(key: string): CommandResult | undefined;
  /** Records a result; the least recently used entry goes when the cache is full. */
  set(key: string, result: CommandResult): void;
  /** Keys held, oldest first. */
  keys(): string[];
  /** Number of entries. */
  readonly size: number;
}

/** Options of createIdempotencyCache. */
export interface IdempotencyCacheOptions {
  /** Most entries kept (default 512). */
  max?: number;
  /** JSON file the entries are kept in, so an agent restart remembers them; memory only when unset. */
  file?: string;
  /** Where a problem with the file is reported. */
  log?: Logger;
}

const FORMAT = 1;
type Json = Parameters<typeof fromJson>[1];

/** Creates a bounded LRU of command results, optionally persisted to a file (written atomically, mode 0600). */
export function createIdempotencyCache(opts: IdempotencyCacheOptions = {}): IdempotencyCache {
  const max = Math.max(1, opts.max ?? 512);
  const entries = new Map<string, CommandResult>();
  const file = opts.file;

  if (file) {
    try {
      const data = JSON.parse(readFileSync(file, "utf8")) as { format?: number; entries?: [string, Json][] };
      if (data.format !== FORMAT || !Array.isArray(data.entries))
        throw new Error(`unknown format ${data.format}`);
      for (const [key, json] of data.entries.slice(-max)) {
        entries.set(key, fromJson(CommandResultSchema, json, { ignoreUnknownFields: true }));
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") {
        opts.log?.warn({ file, err: (err as Error).message }, "ignoring unreadable idempotency state file");
      }
    }
  }

  const persist = () => {
    if (!file) return;
    try {
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      const body = JSON.stringify({
        format: FORMAT,
        entries: [...entries].map(([k, r]) => [k, toJson(CommandResultSchema, r)]),
      });
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, body, { mode: 0o600 });
      renameSync(tmp, file);
    } catch (err) {
      opts.log?.warn({ file, err: (err as Error).message }, "cannot write idempotency state file");
    }
  };

  return {
    get(key) {
      const hit = entries.get(key);
      if (hit) {
        entries.delete(key);
        entries.set(key, hit);
      }
      return hit;
    },
    set(key, result) {
      entries.delete(key);
      entries.set(key, result);
      while (entries.size > max) entries.delete(entries.keys().next().value as string);
      persist();
    },
    keys: () => [...entries.keys()],
    get size() {
      return entries.size;
    },
  };
}
