// Money reservations between the rate-limit check and the accounting of the answer, held against
// the request's Principal exactly as token reservations are (ratelimit/reservations.ts): settled
// once with the real cost, streams included, or returned whole when the request failed. A request
// that never reaches the accounting leaves its reservation counted until the window ends, erring
// on the side of the budget.
import type { SoftCrossing } from '../ratelimit/rate-limiter.ts';
import type { BudgetReservation } from '../ratelimit/result.ts';
import { unreservedCounters, type UnreservedSpend } from './unreserved-spend.ts';
import { toMicros } from './windows.ts';

export interface BudgetSettler {
  settleBudgets(reservation: BudgetReservation, costMicros: number): Promise<SoftCrossing[] | undefined>;
}

export class PendingSpend<Owner extends object> {
  readonly #held = new WeakMap<Owner, BudgetReservation>();
  readonly #settler: BudgetSettler;
  readonly #onSoftLimit: (owner: Owner, crossing: SoftCrossing) => void;
  readonly #onFailure: () => void;

  constructor(options: {
    settler: BudgetSettler;
    /** A budget's soft threshold was crossed: called once per budget, window and limit, on one replica. */
    onSoftLimit: (owner: Owner, crossing: SoftCrossing) => void;
    onFailure?: () => void;
  }) {
    this.#settler = options.settler;
    this.#onSoftLimit = options.onSoftLimit;
    this.#onFailure = options.onFailure ?? (() => undefined);
  }

  hold(owner: Owner, reservation: BudgetReservation): void {
    this.#held.set(owner, reservation);
  }

  /** Replaces the owner's reservation (if any) by the real cost; at most once. Never throws or waits. */
  settle(owner: Owner, costUsd: number): void {
    const reservation = this.#held.get(owner);
    if (!reservation) return;
    this.#held.delete(owner);
    void this.#settler.settleBudgets(reservation, toMicros(costUsd)).then((crossings) => {
      if (!crossings) {
        this.#onFailure();
        return;
      }
      for (const crossing of crossings) this.#onSoftLimit(owner, crossing);
    });
  }

  /**
   * Adds a cost nothing was reserved for (fact extraction after an answer) to the counters of its
   * user and key, through the same settle. Never throws or waits.
   */
  charge(spend: UnreservedSpend & { costUsd: number }): void {
    const micros = toMicros(spend.costUsd);
    if (micros <= 0) return;
    void this.#settler.settleBudgets(unreservedCounters(spend), micros).then((crossings) => {
      if (!crossings) this.#onFailure();
    });
  }
}
