// Token reservations between the rate-limit check and the accounting of the answer. The check
// runs in the middleware, the accounting after the response (streams included) in the chat use
// case; both see the same per-request Principal object, so the reservation is held against it
// in a WeakMap: nothing to thread through the routes, and a request that never reaches the
// accounting leaves nothing behind in memory (its reservation stays counted in Redis until the
// window ends, erring on the side of the limit).
import type { TokenReservation } from './result.ts';

export interface Settler {
  settle(reservation: TokenReservation, usedTokens: number): Promise<boolean>;
}

export class PendingReservations {
  readonly #held = new WeakMap<object, TokenReservation>();
  readonly #settler: Settler;
  readonly #onFailure: () => void;

  constructor(settler: Settler, onFailure: () => void = () => undefined) {
    this.#settler = settler;
    this.#onFailure = onFailure;
  }

  hold(owner: object, reservation: TokenReservation): void {
    this.#held.set(owner, reservation);
  }

  /** Replaces the owner's reservation (if any) by the tokens really used; at most once. Never throws or waits. */
  settle(owner: object, usedTokens: number): void {
    const reservation = this.#held.get(owner);
    if (!reservation) return;
    this.#held.delete(owner);
    void this.#settler.settle(reservation, usedTokens).then((ok) => {
      if (!ok) this.#onFailure();
    });
  }
}
