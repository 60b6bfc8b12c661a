/** How many Docker writes of one kind a stack apply has in flight at once. */
export const WRITE_CONCURRENCY = 8;

/**
 * Runs `fn` for every item, at most `limit` at a time, in item order. After the first failure no
 * new item starts; the ones already running are awaited (so what they did is known), then that
 * first failure is thrown.
 */
export async function eachBounded<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed = false;
  let failure: unknown;
  const worker = async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        await fn(items[i] as T, i);
      } catch (err) {
        if (!failed) failure = err;
        failed = true;
      }
    }
  };
  const workers = Math.min(Math.max(1, Math.floor(limit)), items.length);
  await Promise.all(Array.from({ length: workers }, worker));
  if (failed) throw failure;
}

/**
 * eachBounded for work whose outcome is recorded: once every started item has settled (also
 * after a failure), `record` gets what each finished item returned, in item order, whatever order
 * they finished in, so reports read the same every time. Items that returned undefined are skipped.
 */
export async function eachBoundedInOrder<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R | undefined>,
  record: (result: R, item: T) => void,
): Promise<void> {
  const results: (R | undefined)[] = [];
  try {
    await eachBounded(items, limit, async (item, i) => {
      results[i] = await fn(item, i);
    });
  } finally {
    results.forEach((r, i) => {
      if (r !== undefined) record(r, items[i] as T);
    });
  }
}
