// A write-behind timer: amounts kept in memory are written once, a while after the first change.

/**
 * Calls `flush` once, `delayMs` after the first {@link DeferredFlush.schedule} since the last flush. When
 * `flush` throws (SQLITE_BUSY or the like: what it writes stays pending), it is scheduled again while
 * `open()` is true. The timer never keeps the process alive.
 */
export class DeferredFlush {
  private timer: NodeJS.Timeout | null = null;

  /**
   * @param delayMs ms between the first change and the write
   * @param flush writes what is pending; may throw
   * @param open false once the store is closed (no retry then)
   */
  constructor(
    private readonly delayMs: number,
    private readonly flush: () => void,
    private readonly open: () => boolean,
  ) {}

  /** Arms the timer unless it already runs. */
  schedule(): void {
    this.timer ??= setTimeout(() => {
      this.timer = null;
      try {
        this.flush();
      } catch {
        if (this.open()) this.schedule();
      }
    }, this.delayMs).unref();
  }
}
