import { createHash, timingSafeEqual } from "node:crypto";
import type { Secret } from "./secret";

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/** Constant-time check of a presented token against the expected one (lengths leak nothing either). */
export function tokenMatches(presented: string, expected: Secret): boolean {
  return timingSafeEqual(digest(presented), digest(expected.reveal()));
}
