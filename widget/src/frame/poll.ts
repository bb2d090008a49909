// Poller re-reads something on an interval only while it is wanted: the
// widget re-reads its settings (agents online) while the panel is open and
// the page visible, never while closed or hidden.

/** The timer functions a Poller uses (injected by tests). */
export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const realTimers: Timers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/**
 * Poller runs run at once when it becomes active, then every `every` ms
 * after the previous run ended, until it becomes inactive. Runs never
 * overlap; a failed run is retried at the next tick.
 */
export class Poller {
  private active = false;
  private running = false;
  private timer: unknown = null;

  constructor(
    private readonly run: () => Promise<void>,
    private readonly every: number,
    private readonly timers: Timers = realTimers,
  ) {}

  /** set starts (running now) or stops the polling; repeating a state does nothing. */
  set(active: boolean): void {
    if (active === this.active) return;
    this.active = active;
    if (!active) {
      this.cancel();
      return;
    }
    if (!this.running) void this.tick();
  }

  private cancel(): void {
    if (this.timer !== null) this.timers.clear(this.timer);
    this.timer = null;
  }

  private async tick(): Promise<void> {
    this.cancel();
    this.running = true;
    try {
      await this.run();
    } catch {
      /* the next tick tries again */
    } finally {
      this.running = false;
    }
    if (this.active) this.timer = this.timers.set(() => void this.tick(), this.every);
  }
}
