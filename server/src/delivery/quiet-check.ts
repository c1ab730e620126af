/**
 * Whether something stayed quiet: marked on every event (a store of one boolean, the cheapest thing
 * on a per-event path), read by a periodic sweep. `sweep()` is true on the `sweeps`-th sweep in a row
 * with nothing marked, so quiet is noticed after `sweeps - 1` to `sweeps` sweep periods.
 */
export class QuietCheck {
  readonly #sweeps: number;
  #heard = false;
  #quietSweeps = 0;

  constructor(sweeps: number) {
    this.#sweeps = sweeps;
  }

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
    if (this.#quietSweeps < this.#sweeps) return false;
    this.#quietSweeps = 0;
    return true;
  }
}
