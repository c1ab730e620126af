import type { StatementPool } from './statement-pool.ts';

/** Sees each answer-path statement once it ran: how long it took, and the error if it failed. */
export type StatementObserver = (seconds: number, error: unknown) => void;

/** `pool`, with each statement timed for `observe` (metrics); the same pool when there is nothing to observe. */
export function observedStatements(pool: StatementPool, observe: StatementObserver | undefined): StatementPool {
  if (!observe) return pool;
  return {
    size: pool.size,
    close: () => pool.close(),
    async reserve() {
      const session = await pool.reserve();
      return {
        release: () => session.release(),
        async run(statement, params) {
          const began = performance.now();
          try {
            const result = await session.run(statement, params);
            observe((performance.now() - began) / 1000, undefined);
            return result;
          } catch (error) {
            observe((performance.now() - began) / 1000, error);
            throw error;
          }
        },
      };
    },
  };
}
