import type { Ping } from '../schemas/responses.js';

/**
 * What `/ping` reports: AgentCore treats a HealthyBusy runtime as in use and keeps it alive.
 * Its shape is `PingSchema` in src/api/schemas.ts.
 */
export type PingStatus = Ping;

/** Counts active runs and remembers when the busy/idle state last changed. */
export class Activity {
  private active = 0;
  private changedAt: number;

  constructor(private readonly now: () => number = Date.now) {
    this.changedAt = now();
  }

  /** Marks one run started; the returned function marks it ended (idempotent). */
  begin(): () => void {
    if (this.active++ === 0) this.changedAt = this.now();
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      if (--this.active === 0) this.changedAt = this.now();
    };
  }

  get running(): number {
    return this.active;
  }

  /** The `/ping` body. */
  ping(): PingStatus {
    return { status: this.active > 0 ? 'HealthyBusy' : 'Healthy', time_of_last_update: Math.floor(this.changedAt / 1000) };
  }
}
