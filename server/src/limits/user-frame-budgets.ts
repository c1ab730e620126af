import { FrameBudget, type FrameBudgetLimits } from './frame-budget.ts';

/**
 * The frame budget of each user, across all of their WebSockets on this instance: a user who opens
 * many connections gets no more than one's worth. Budgets idle for a window are dropped now and then.
 */
export class UserFrameBudgets {
  readonly #limits: FrameBudgetLimits;
  readonly #budgets = new Map<string, FrameBudget>();
  #sweptAt = performance.now();

  constructor(limits: FrameBudgetLimits) {
    this.#limits = limits;
  }

  take(userId: string, bytes: number): boolean {
    const now = performance.now();
    if (now - this.#sweptAt > sweepEveryMs) this.#sweep(now);
    let budget = this.#budgets.get(userId);
    if (!budget) {
      budget = new FrameBudget(this.#limits);
      this.#budgets.set(userId, budget);
    }
    return budget.take(bytes, now);
  }

  #sweep(now: number): void {
    for (const [userId, budget] of this.#budgets) if (budget.idle(now)) this.#budgets.delete(userId);
    this.#sweptAt = now;
  }
}

const sweepEveryMs = 10_000;
