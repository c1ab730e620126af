import pg from 'pg';
import type { Logger } from 'pino';
import { FifoSemaphore } from '../limits/fifo-semaphore.ts';
import { withDatabase } from './errors.ts';

/** A statement the answer path runs on every answer: prepared once per connection, then run by name. */
export interface Statement {
  name: string;
  /** `$1`-style placeholders. */
  text: string;
}

/** What a statement gave back. */
export interface StatementResult {
  rows: Record<string, unknown>[];
  /** Rows it wrote. */
  rowCount: number;
}

/** One reserved connection. */
export interface StatementSession {
  run(statement: Statement, params: readonly unknown[]): Promise<StatementResult>;
  /** Gives the connection back; once. */
  release(): void;
}

/**
 * The connections of the answer path (saving each exchange and each final answer), apart from the
 * ORM's, so that a burst of answers never waits behind other queries. Callers wait for a free one
 * here, first come first served, never in the driver's pool, whose timeout would read as "unreachable".
 */
export interface StatementPool {
  readonly size: number;
  reserve(): Promise<StatementSession>;
  close(): Promise<void>;
}

/** Runs `use` on a reserved connection and gives it back, whatever happens. */
export async function withSession<T>(pool: StatementPool, use: (session: StatementSession) => Promise<T>): Promise<T> {
  const session = await pool.reserve();
  try {
    return await use(session);
  } finally {
    session.release();
  }
}

export interface PgStatementPoolOptions {
  url: string;
  size: number;
  /** The pool's connection options beside the URL: timeouts, keep-alive. */
  connection: pg.PoolConfig;
  log: Logger;
  /** Sees each statement before it runs (tests count them). */
  onQuery?: ((sql: string) => void) | undefined;
}

/** PostgreSQL: a `pg` pool of `size` connections, all kept open once made, behind a FIFO queue of the same size. */
export class PgStatementPool implements StatementPool {
  readonly size: number;
  readonly #pool: pg.Pool;
  readonly #slots: FifoSemaphore;
  readonly #onQuery: ((sql: string) => void) | undefined;

  constructor(options: PgStatementPoolOptions) {
    const { url, size, connection, log, onQuery } = options;
    this.size = size;
    this.#onQuery = onQuery;
    this.#slots = new FifoSemaphore(size);
    this.#pool = new pg.Pool({ ...connection, connectionString: url, max: size, min: size });
    // A connection dropped while idle: the pool discards it and opens another on demand.
    this.#pool.on('error', (error) => log.warn({ err: error }, 'an idle answer-path database connection failed'));
  }

  /** Opens every connection now, so the first burst does not wait for handshakes. */
  async open(): Promise<void> {
    const sessions = await Promise.all(Array.from({ length: this.size }, () => this.reserve()));
    for (const session of sessions) session.release();
  }

  async reserve(): Promise<StatementSession> {
    const free = await this.#slots.acquire();
    let client: pg.PoolClient;
    try {
      client = await withDatabase(() => this.#pool.connect());
    } catch (error) {
      free();
      throw error;
    }
    let broken: Error | undefined;
    let released = false;
    return {
      run: async (statement, params) => {
        this.#onQuery?.(statement.text);
        try {
          const result = await withDatabase(() =>
            client.query({ name: statement.name, text: statement.text, values: params as unknown[] }),
          );
          return { rows: result.rows, rowCount: result.rowCount ?? 0 };
        } catch (error) {
          // A connection that failed is not given back for reuse (its prepared statements may be gone too).
          if (!(error instanceof pg.DatabaseError)) broken = error as Error;
          throw error;
        }
      },
      release: () => {
        if (released) return;
        released = true;
        client.release(broken);
        free();
      },
    };
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}

/** What the answer path needs of PGlite (the ORM's own instance, from its connection). */
export interface PgliteQueries {
  query(text: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[]; affectedRows?: number }>;
}

/** PGlite: one in-process database that runs one statement at a time; the queue keeps the order fair. */
export class PgliteStatementPool implements StatementPool {
  readonly size = 1;
  readonly #pglite: PgliteQueries;
  readonly #slots = new FifoSemaphore(1);
  readonly #onQuery: ((sql: string) => void) | undefined;

  constructor(pglite: PgliteQueries, onQuery?: (sql: string) => void) {
    this.#pglite = pglite;
    this.#onQuery = onQuery;
  }

  async reserve(): Promise<StatementSession> {
    const free = await this.#slots.acquire();
    return {
      run: async (statement, params) => {
        this.#onQuery?.(statement.text);
        const result = await withDatabase(() => this.#pglite.query(statement.text, params as unknown[]));
        return { rows: result.rows, rowCount: result.affectedRows ?? 0 };
      },
      release: free,
    };
  }

  /** The ORM owns PGlite and closes it. */
  async close(): Promise<void> {}
}
