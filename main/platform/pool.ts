// A bounded pool for independent async work: at most `limit` calls in flight, results in input order.

/**
 * Calls `fn` on every item with at most `limit` (≥ 1) calls in flight at once; resolves with the
 * results in the order of `items`. Rejects with the first rejection (calls already started run on;
 * none is started after it). Use `fn` that catches what must not stop the others.
 */
export async function mapPool<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i]!, i);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}
