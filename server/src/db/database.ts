import { MikroORM, type Options } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import type { SqlEntityManager } from '@mikro-orm/sql';
import type { Logger } from 'pino';
import { migrationsList } from '../../../migrations/index.ts';
import type { DurationObserver } from '../metrics/timed.ts';
import { AnswerWrites } from './answer-writes.ts';
import { entities } from './entities.ts';
import { observedStatements } from './observed-statements.ts';
import {
  type PgliteQueries,
  PgliteStatementPool,
  PgStatementPool,
  type PgStatementPoolOptions,
  type StatementPool,
} from './statement-pool.ts';

/** In-memory PGlite: `SPOOL_DATA_DIR=memory://`. */
export const inMemoryDataDir = 'memory://';

export interface DatabaseOptions {
  /** PostgreSQL. Unset: PGlite (embedded) in `dataDir`. */
  url: string | undefined;
  /** PGlite's folder, or `memory://`. */
  dataDir: string;
  /** Apply pending migrations on open. */
  migrate: boolean;
  /** PostgreSQL connections of the answer path (`statements`); PGlite has one. */
  poolSize: number;
  /**
   * PostgreSQL: the schema of Spool's tables and migrations table, created if missing, so that they
   * stay apart from an app's own (`message`, say). Unset: the default schema. PGlite is Spool's alone.
   */
  schema?: string | undefined;
  log: Logger;
  /** Sees every SQL statement before it runs (tests count queries with it). */
  onQuery?: (sql: string) => void;
  /** Sees each answer-path statement once it ran (metrics). */
  observeStatement?: DurationObserver | undefined;
}

export interface Database {
  kind: 'postgresql' | 'pglite';
  orm: MikroORM;
  /** A fresh EntityManager: one per request or job, never the global one (MikroORM #3076). */
  em(): SqlEntityManager;
  /** The answer path's prepared statements, on connections of their own. */
  statements: StatementPool;
  /** Each answer's exchange and final answer, group-committed through `statements`. */
  answers: AnswerWrites;
  /** Resolves when the database answers a trivial query (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Opens PostgreSQL (`url` set) or embedded PGlite with the same entities and migrations, and applies
 * pending migrations unless told not to. PGlite's driver is loaded only when it is used.
 */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const { log, onQuery } = options;
  const common: Partial<Options> = {
    entities,
    extensions: [Migrator],
    // Imported, not read from a folder: the built package carries them in its JavaScript.
    migrations: { migrationsList, snapshot: false, silent: true },
    logger: (message) => log.debug({ component: 'mikro-orm' }, message),
    onQuery: (sql) => {
      onQuery?.(sql);
      return sql;
    },
    // Entities come from `defineEntity`; nothing to discover from files or decorators.
    discovery: { warnWhenNoEntities: true },
  };
  const { schema } = options;
  // Both: `schema` qualifies the ORM's queries, `migrations.schema` runs each migration's SQL there.
  const inSchema: Partial<Options> = schema ? { schema, migrations: { ...common.migrations, schema } } : {};
  // And the answer path's own unqualified statements find the tables through the search path.
  const connection = schema ? { ...poolTimeouts, options: `-c search_path=${schema}` } : poolTimeouts;
  const orm = options.url
    ? await MikroORM.init({
        ...common,
        ...inSchema,
        driver: await postgresDriver(),
        clientUrl: options.url,
        driverOptions: poolTimeouts,
      })
    : await MikroORM.init({ ...common, driver: await pgliteDriver(), dbName: options.dataDir });
  let statements: StatementPool;
  try {
    if (options.migrate) await orm.migrator.up();
    statements = observedStatements(
      options.url
        ? await openPgStatements({ url: options.url, size: options.poolSize, connection, log, onQuery })
        : new PgliteStatementPool((await orm.em.getConnection().getNativeClient()) as PgliteQueries, onQuery),
      options.observeStatement,
    );
  } catch (error) {
    await orm.close();
    throw error;
  }
  // Both drivers (PostgreSQL, PGlite) are SQL drivers: their entity managers are SQL ones.
  const em = () => orm.em.fork() as SqlEntityManager;
  return {
    kind: options.url ? 'postgresql' : 'pglite',
    orm,
    em,
    statements,
    answers: new AnswerWrites({ statements, em }),
    async ping() {
      await orm.em.getConnection().execute('select 1');
    },
    async close() {
      await statements.close();
      await orm.close();
    },
  };
}

type Driver = Options['driver'];

/**
 * A database that stops answering must fail calls, not hang them: a final write waiting on a dead
 * connection would hold its stream open and shutdown with it. (`pg` pool and client options.)
 */
const poolTimeouts = { connectionTimeoutMillis: 5_000, query_timeout: 15_000, keepAlive: true };

async function openPgStatements(options: PgStatementPoolOptions): Promise<StatementPool> {
  const pool = new PgStatementPool(options);
  try {
    await pool.open();
  } catch (error) {
    await pool.close();
    throw error;
  }
  return pool;
}

async function postgresDriver(): Promise<Driver> {
  return (await import('@mikro-orm/postgresql')).PostgreSqlDriver;
}

async function pgliteDriver(): Promise<Driver> {
  return (await import('@mikro-orm/pglite')).PgliteDriver;
}
