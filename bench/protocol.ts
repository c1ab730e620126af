import type { LoopStats } from './loop-monitor.ts';

/** What the parent (`run.ts`) and its child processes say to each other. */

/** What a server under test (Spool's `server-process.ts`, or socket.io's `socketio-process.ts`) says when it is up. */
export interface ServerHello {
  /** `http://127.0.0.1:<port>/trpc` (Spool), `http://127.0.0.1:<port>` (socket.io) */
  url: string;
  port: number;
  pid: number;
}

export interface ServerStats {
  /** The server's wall clock when it took these figures. */
  atMs: number;
  /** `process.cpuUsage()` since the server process started. */
  cpuUserUs: number;
  cpuSystemUs: number;
  rssBytes: number;
  heapUsedBytes: number;
  /** Highest RSS sampled since the last `resetPeak`. */
  peakRssBytes: number;
  /**
   * Subscriptions whose live Redis channel is confirmed (the Redis store's own count); for socket.io,
   * sockets' memberships of stream rooms (its one Redis pattern is confirmed before it says hello).
   */
  liveListeners: number;
  /** Event-loop delay and GC pauses since the last `resetPeak`. */
  loop: LoopStats;
}

export type ServerApi = {
  /**
   * `collect`: a full GC first (outside the measured window), so the heap figure is what is retained.
   * `resetPeak`: start a new window for the RSS peak, the loop delay and the GC pauses.
   */
  stats: { arg: { collect: boolean; resetPeak: boolean }; result: ServerStats };
};

export interface GeneratorHello {
  pid: number;
}

/**
 * Where the generator writes: Spool streams through `RedisStreamStore.append`, bare PUBLISH (the floor),
 * or socket.io rooms (one per stream id) through `@socket.io/redis-emitter`.
 */
export type RunTarget =
  | { kind: 'spool'; streamIds: string[] }
  | { kind: 'floor'; channels: string[] }
  | { kind: 'socketio'; streamIds: string[] };

export interface RunPlan {
  target: RunTarget;
  /** Tokens per stream; a `done` event follows them. */
  tokens: number;
  /** Tokens per second per stream; 0: as fast as each stream's appends complete. */
  rate: number;
}

export interface RunReport {
  /** Appends (or publishes) that succeeded, `done` events included. */
  sent: number;
  failed: number;
  firstError: string | null;
  durationMs: number;
  cpuUs: number;
  /** How late the paced schedule fired appends (null when unbounded). */
  lagP99Ms: number | null;
  lagMaxMs: number | null;
}

export type GeneratorApi = {
  /** The generator's wall clock, to measure the offset between the two processes' clocks. */
  clock: { arg: null; result: number };
  /** Creates the streams as owned by the server's anonymous user. */
  create: { arg: { streamIds: string[]; leaseMs: number }; result: null };
  /** The go: appends everything, resolves when the last append has completed. */
  run: { arg: RunPlan; result: RunReport };
};
