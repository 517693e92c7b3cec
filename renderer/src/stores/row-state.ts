// Store helpers over per-row records: a record without one key, and one row's action with its busy mark and error.
import { toShownError } from './errors';
import type { ShownError } from './errors';

/** A copy of `rec` without the entry `id` (the same entries otherwise). */
export function without<T>(rec: Record<string, T>, id: string): Record<string, T> {
  const copy = { ...rec };
  delete copy[id];
  return copy;
}

/** The part of a store state that marks busy rows and keeps each row's last error. */
export interface RowState<W> {
  busy: Record<string, W>;
  rowErrors: Record<string, ShownError>;
}

/**
 * Runs `run` for row `id`: marks it busy with `what` and clears its error first, keeps a failure as its
 * error (never throws), and unmarks it at the end.
 * @returns true when `run` succeeded.
 */
export async function onRowOf<W>(
  set: (partial: Partial<RowState<W>>) => void,
  get: () => RowState<W>,
  id: string,
  what: W,
  run: () => Promise<void>,
): Promise<boolean> {
  set({ busy: { ...get().busy, [id]: what }, rowErrors: without(get().rowErrors, id) });
  try {
    await run();
    return true;
  } catch (err) {
    set({ rowErrors: { ...get().rowErrors, [id]: toShownError(err) } });
    return false;
  } finally {
    set({ busy: without(get().busy, id) });
  }
}
