/** Knobs shared by every store implementation. */
export interface StoreTuning {
  /** How long a log is kept after its last write: its terminal event, for an ended stream. */
  logTtlMs: number;
  /** Events read from the log per round trip while replaying. */
  pageSize: number;
  /** Events a reading iterator may hold unread before its cursor waits, then reads on from the log. */
  liveCapacity: number;
  /** Quiet time after which a reader re-reads the log and checks the generator's lease. */
  idleMs: number;
}

export const defaultStoreTuning: StoreTuning = {
  logTtlMs: 60 * 60 * 1000,
  pageSize: 512,
  liveCapacity: 1024,
  idleMs: 10_000,
};
