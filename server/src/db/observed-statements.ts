import { type DurationObserver, timed } from '../metrics/timed.ts';
import type { StatementPool } from './statement-pool.ts';

/** `pool`, with each statement timed for `observe` (metrics); the same pool when there is nothing to observe. */
export function observedStatements(pool: StatementPool, observe: DurationObserver | undefined): StatementPool {
  if (!observe) return pool;
  return {
    size: pool.size,
    close: () => pool.close(),
    async reserve() {
      const session = await pool.reserve();
      return {
        release: () => session.release(),
        run: (statement, params) => timed(() => session.run(statement, params), observe),
      };
    },
  };
}
