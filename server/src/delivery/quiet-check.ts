/**
 * Whether something quiet stayed quiet: marked on every event (a store of one boolean, the cheapest
 * thing on a per-event path), read by a periodic sweep. `sweep()` is true on the second sweep in a
 * row with nothing marked, so quiet is noticed after one to two sweep periods.
 */
export class QuietCheck {
  #heard = false;
  #quietSweeps = 0;

  mark(): void {
    this.#heard = true;
  }

  sweep(): boolean {
    if (this.#heard) {
      this.#heard = false;
      this.#quietSweeps = 0;
      return false;
    }
    this.#quietSweeps += 1;
    if (this.#quietSweeps < 2) return false;
    this.#quietSweeps = 0;
    return true;
  }
}
