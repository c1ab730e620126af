import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { withinMs } from '../time-bound.ts';

export type MetricsTransport = 'ws' | 'sse';

/** How an answer ended, as its terminal event says. */
export type AnswerOutcome = 'complete' | 'cancelled' | 'failed';

/** What Spool knows of one answer once it has ended: one log line and the answer metrics. */
export interface AnswerReport {
  streamId: string;
  userId: string;
  model: string;
  outcome: AnswerOutcome;
  /** The error code of a failed answer; null otherwise. */
  code: string | null;
  /** Milliseconds from the start of generation to the first token; null when there was none. */
  firstTokenMs: number | null;
  tokens: number;
  durationMs: number;
}

/** Time buckets (seconds) for waits that are milliseconds when all is well and seconds when not. */
const latencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const answerBuckets = [0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300];

/**
 * Spool's Prometheus metrics, in a registry of their own (one per server, so that several in one
 * process do not mix), with Node's process metrics (CPU, memory, GC, event loop delay) beside them.
 * What happens once per delivered event is counted in plain numbers and handed to prom-client when
 * it is scraped: the hot path pays an increment, not a label lookup.
 */
export class SpoolMetrics {
  readonly registry = new Registry();
  /** Token events written to subscribers, by transport (hot: plain counts, collected at scrape). */
  readonly delivered = { ws: 0, sse: 0 };
  readonly answersStarted: Counter;
  readonly #answersEnded: Counter<'outcome' | 'code'>;
  readonly #firstToken: Histogram;
  readonly #answerDuration: Histogram;
  readonly subscribers: Gauge<'transport'>;
  readonly resumes: Counter<'transport'>;
  readonly refusals: Counter<'code'>;
  readonly storeErrors: Counter;
  readonly storeWrites: Histogram;
  readonly databaseErrors: Counter;
  readonly databaseStatements: Histogram;
  readonly startWait: Histogram;
  readonly queueWait: Histogram;

  constructor(sources: {
    activeAnswers: () => number;
    startQueueDepth: () => number;
    /** Answers waiting for a worker (`SPOOL_ROLE=api`); unset: no queue here. */
    workQueueDepth?: (() => Promise<number>) | undefined;
  }) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    const delivered = this.delivered;
    const reported = { ws: 0, sse: 0 };
    new Counter({
      name: 'spool_tokens_delivered_total',
      help: 'Token events written to subscribers, by transport',
      labelNames: ['transport'],
      registers,
      collect() {
        for (const transport of ['ws', 'sse'] as const) {
          this.inc({ transport }, delivered[transport] - reported[transport]);
          reported[transport] = delivered[transport];
        }
      },
    });
    this.answersStarted = new Counter({
      name: 'spool_answers_started_total',
      help: 'Answers started on this instance',
      registers,
    });
    this.#answersEnded = new Counter({
      name: 'spool_answers_finished_total',
      help: 'Answers ended on this instance, by outcome and error code',
      labelNames: ['outcome', 'code'],
      registers,
    });
    this.#firstToken = new Histogram({
      name: 'spool_time_to_first_token_seconds',
      help: 'From the start of generation to the first token',
      buckets: latencyBuckets,
      registers,
    });
    this.#answerDuration = new Histogram({
      name: 'spool_answer_duration_seconds',
      help: 'From the start of generation to its end',
      buckets: answerBuckets,
      registers,
    });
    new Gauge({
      name: 'spool_active_answers',
      help: 'Answers generating on this instance',
      registers,
      collect() {
        this.set(sources.activeAnswers());
      },
    });
    this.subscribers = new Gauge({
      name: 'spool_subscribers',
      help: 'Stream subscriptions open on this instance, by transport',
      labelNames: ['transport'],
      registers,
    });
    this.resumes = new Counter({
      name: 'spool_resumes_total',
      help: 'Stream subscriptions that started past index 0 (a client resuming), by transport',
      labelNames: ['transport'],
      registers,
    });
    this.refusals = new Counter({
      name: 'spool_refusals_total',
      help: 'Requests refused for a limit or a token, by Spool error code',
      labelNames: ['code'],
      registers,
    });
    this.storeErrors = new Counter({
      name: 'spool_store_errors_total',
      help: 'Stream store (Redis) writes that failed because it was unreachable',
      registers,
    });
    this.storeWrites = new Histogram({
      name: 'spool_store_write_seconds',
      help: "A generator's writes to the stream log, each batch of events",
      buckets: latencyBuckets,
      registers,
    });
    this.databaseErrors = new Counter({
      name: 'spool_database_errors_total',
      help: 'Answer-path statements (exchanges, final answers) that failed',
      registers,
    });
    this.databaseStatements = new Histogram({
      name: 'spool_database_statement_seconds',
      help: 'Answer-path statements (exchanges, final answers), each batch',
      buckets: latencyBuckets,
      registers,
    });
    new Gauge({
      name: 'spool_start_queue_depth',
      help: 'Answers waiting for their turn to start',
      registers,
      collect() {
        this.set(sources.startQueueDepth());
      },
    });
    const { workQueueDepth } = sources;
    if (workQueueDepth) {
      new Gauge({
        name: 'spool_work_queue_depth',
        help: 'Answers queued for a generation worker, waiting for one (NaN: the queue did not answer)',
        registers,
        // One queue for all: with SPOOL_PROCESSES each process reports it, and the sum would count it N times.
        aggregator: 'max',
        async collect() {
          // A scrape does not wait on Redis: the queue's connection retries forever while Redis is away.
          this.set(await withinMs(workQueueDepth(), 1_000).catch(() => Number.NaN));
        },
      });
    }
    this.queueWait = new Histogram({
      name: 'spool_work_queue_wait_seconds',
      help: 'How long a queued answer waited for a generation worker',
      buckets: latencyBuckets,
      registers,
    });
    this.startWait = new Histogram({
      name: 'spool_start_queue_wait_seconds',
      help: 'How long an answer waited for its turn to start',
      buckets: latencyBuckets,
      registers,
    });
  }

  answerEnded(report: AnswerReport): void {
    this.#answersEnded.inc({ outcome: report.outcome, code: report.code ?? '' });
    if (report.firstTokenMs !== null) this.#firstToken.observe(report.firstTokenMs / 1000);
    this.#answerDuration.observe(report.durationMs / 1000);
  }
}
