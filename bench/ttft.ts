/**
 * Time to first token as a client sees it: from calling `sendMessage` to receiving the first `token`
 * event, with the demo model emitting its first token at once. Answers one after another, then
 * bursts sent all at once (50, 200, 1,000), in the embedded mode (in-process log, PGlite) and in
 * Redis + PostgreSQL mode, each against a fresh server process, warmed up first as a running
 * server is. Beside each phase: the server's CPU per answer (its whole life: start, tokens, end).
 */
import type { AppRouter } from '@spool/server';
import {
  createTRPCClient,
  createWSClient,
  httpLink,
  httpSubscriptionLink,
  splitLink,
  type TRPCClient,
  wsLink,
} from '@trpc/client';
import { EventSource } from 'eventsource';
import { ChildHandle, errorMessage } from './ipc.ts';
import type { ServerApi, ServerHello } from './protocol.ts';
import { serverEnv, serverNodeArgs } from './server-env.ts';
import { type Percentiles, percentiles } from './stats.ts';
import { wallNow } from './time.ts';

/** `api+worker`: Redis + PostgreSQL, an API process queueing each answer for a worker process (`SPOOL_ROLE`). */
export type TtftMode = 'embedded' | 'redis+postgres' | 'api+worker';
type Transport = 'ws' | 'sse';

export interface Burst {
  size: number;
  rounds: number;
  transport: Transport;
}

export interface TtftSettings {
  sequential: number;
  warmUp: { sequential: number; bursts: number; burstSize: number };
  bursts: Burst[];
  redisUrl: string;
  prefix: string;
  databaseUrl: string;
}

export interface PhaseResult {
  label: string;
  answers: number;
  latency: Percentiles | null;
  /** sendMessage calls or streams that failed, and the first one's error. */
  failures: number;
  firstFailure: string | null;
  /** Server CPU (user + system) over the phase, until every answer of it ended, per answer. */
  cpuUsPerAnswer: number;
}

export interface TtftResult {
  mode: TtftMode;
  phases: PhaseResult[];
  failure: string | null;
}

/** The first token comes at once; the second a while later, so that the rest of an answer does not crowd the next first token. */
const tokensPerAnswer = 2;
const tokensPerSecond = 10;

export async function runTtft(mode: TtftMode, settings: TtftSettings): Promise<TtftResult> {
  const env = serverEnv(mode === 'embedded' ? undefined : settings, {
    SPOOL_DEMO_TOKENS: String(tokensPerAnswer),
    SPOOL_DEMO_TOKENS_PER_SECOND: String(tokensPerSecond),
  });
  // With workers, the clients talk to the API process; the CPU of an answer is both processes'.
  const roles = mode === 'api+worker' ? (['api', 'worker'] as const) : ([undefined] as const);
  const servers = await Promise.all(
    roles.map((role) =>
      ChildHandle.start<ServerApi, ServerHello>(
        `server (${role ?? mode})`,
        new URL('./server-process.ts', import.meta.url),
        // A worker that takes every answer of the biggest burst at once: what is measured is the hand-over.
        role ? { ...env, SPOOL_ROLE: role, SPOOL_WORKER_CONCURRENCY: '2000' } : env,
        60_000,
        serverNodeArgs,
      ),
    ),
  );
  const { url } = (servers[0] as (typeof servers)[number]).hello;
  const clients = { ws: wsClient(url), sse: sseClient(url) };
  const phases: PhaseResult[] = [];
  const cpuUs = async () => {
    const all = await Promise.all(
      servers.map((child) => child.call('stats', { collect: false, resetPeak: false }, 10_000)),
    );
    return all.reduce((sum, stats) => sum + stats.cpuUserUs + stats.cpuSystemUs, 0);
  };
  const phase = async (label: string, answers: number, run: () => Promise<PromiseSettledResult<number>[]>) => {
    const before = await cpuUs();
    const outcomes = await run();
    const cpu = (await cpuUs()) - before;
    const times = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
    const failed = outcomes.find((outcome) => outcome.status === 'rejected');
    phases.push({
      label,
      answers,
      latency: percentiles(Float64Array.from(times), times.length),
      failures: outcomes.length - times.length,
      firstFailure: failed ? errorMessage(failed.reason) : null,
      cpuUsPerAnswer: cpu / answers,
    });
  };
  const burst = (client: TRPCClient<AppRouter>, size: number) =>
    Promise.allSettled(Array.from({ length: size }, (_, i) => timeToFirstToken(client, i)));
  try {
    // Warm, as a running server is: its code compiled, its connections open.
    for (let i = 0; i < settings.warmUp.sequential; i++) await timeToFirstToken(clients.ws.trpc, i);
    for (let i = 0; i < settings.warmUp.bursts; i++) await burst(clients.ws.trpc, settings.warmUp.burstSize);
    await phase('one after another', settings.sequential, async () => {
      const outcomes: PromiseSettledResult<number>[] = [];
      for (let i = 0; i < settings.sequential; i++) {
        outcomes.push(...(await Promise.allSettled([timeToFirstToken(clients.ws.trpc, i)])));
      }
      return outcomes;
    });
    for (const { size, rounds, transport } of settings.bursts) {
      const label = `${size.toLocaleString('en-US')} at once${rounds > 1 ? ` x ${rounds}` : ''} (${transport})`;
      await phase(label, size * rounds, async () => {
        const outcomes: PromiseSettledResult<number>[] = [];
        for (let round = 0; round < rounds; round++) outcomes.push(...(await burst(clients[transport].trpc, size)));
        return outcomes;
      });
    }
    return { mode, phases, failure: null };
  } catch (error) {
    return { mode, phases, failure: errorMessage(error) };
  } finally {
    clients.ws.close();
    await Promise.all(servers.map((child) => child.stop(10_000)));
  }
}

interface BenchClient {
  trpc: TRPCClient<AppRouter>;
  close(): void;
}

/** Everything over one WebSocket. */
function wsClient(url: string): BenchClient {
  const ws = createWSClient({ url: url.replace(/^http/, 'ws') });
  return { trpc: createTRPCClient<AppRouter>({ links: [wsLink({ client: ws })] }), close: () => ws.close() };
}

/** The SSE fallback: each subscription its own EventSource, each mutation its own HTTP request. */
function sseClient(url: string): BenchClient {
  const trpc = createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: httpSubscriptionLink<AppRouter, typeof EventSource>({ url, EventSource }),
        false: httpLink({ url }),
      }),
    ],
  });
  return { trpc, close: () => {} };
}

/**
 * Sends one message and watches its stream to the end; resolves with the milliseconds to its first
 * token. Watching on to `done` keeps each answer's whole cost inside the phase that started it.
 */
export async function timeToFirstToken(client: TRPCClient<AppRouter>, n: number): Promise<number> {
  const sentAt = wallNow();
  const { streamId } = await client.sendMessage.mutate({ content: `question ${n}` });
  let firstTokenMs: number | undefined;
  for await (const { data } of client.stream.subscribe({ streamId })) {
    if (data.type === 'token') firstTokenMs ??= wallNow() - sentAt;
    if (data.type === 'error') throw new Error(`answer ${n} failed: ${data.code}: ${data.message}`);
    if (data.type === 'done') {
      if (firstTokenMs === undefined) throw new Error(`answer ${n} ended before its first token`);
      return firstTokenMs;
    }
  }
  throw new Error(`the stream of answer ${n} ended without a terminal event`);
}

export function ttftTable(results: TtftResult[]): string {
  const ms = (value: number | undefined) => (value === undefined ? '-' : value.toFixed(2));
  const rows = results.flatMap((result) => [
    ...result.phases.map((phase) => {
      const failures = phase.failures === 0 ? '0' : `${phase.failures} (${phase.firstFailure})`;
      return `| ${result.mode} | ${phase.label} | ${ms(phase.latency?.p50)} | ${ms(phase.latency?.p99)} | ${ms(phase.latency?.max)} | ${failures} | ${Math.round(phase.cpuUsPerAnswer)} |`;
    }),
    ...(result.failure ? [`| ${result.mode} | failed: ${result.failure} | | | | | |`] : []),
  ]);
  return [
    '| mode | answers | TTFT p50 ms | p99 ms | max ms | failed | server CPU us per answer |',
    '|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

interface Target {
  text: string;
  phase: string;
  value: (phase: PhaseResult) => number | undefined;
  limit: number;
}

/** Issue 13's targets, Redis + PostgreSQL mode. */
const targets: Target[] = [
  { text: 'TTFT p50, one after another', phase: 'one after another', value: (p) => p.latency?.p50, limit: 5 },
  { text: 'TTFT p50, 50 at once', phase: '50 at once', value: (p) => p.latency?.p50, limit: 25 },
  { text: 'TTFT p99, 50 at once', phase: '50 at once', value: (p) => p.latency?.p99, limit: 50 },
  { text: 'TTFT p99, 200 at once', phase: '200 at once', value: (p) => p.latency?.p99, limit: 150 },
  { text: 'failed starts, 1,000 at once', phase: '1,000 at once', value: (p) => p.failures, limit: 0 },
  { text: 'TTFT p99, 1,000 at once', phase: '1,000 at once', value: (p) => p.latency?.p99, limit: 1500 },
  {
    text: 'server CPU per answer (us), 200 at once',
    phase: '200 at once',
    value: (p) => p.cpuUsPerAnswer,
    limit: 1000,
  },
];

export function ttftTargets(results: TtftResult[]): string {
  const scaled = results.find((result) => result.mode === 'redis+postgres');
  return targets
    .flatMap(({ text, phase, value, limit }) => {
      const matching = scaled?.phases.filter((p) => p.label.startsWith(phase)) ?? [];
      if (matching.length === 0) return [`- ${text} <= ${limit}: not measured`];
      return matching.map((p) => {
        const measured = value(p);
        const met = measured !== undefined && measured <= limit;
        const shown =
          measured === undefined ? '-' : Number.isInteger(measured) ? String(measured) : measured.toFixed(2);
        return `- ${text} <= ${limit} (${p.label}): ${shown}, ${met ? 'MET' : 'MISSED'}`;
      });
    })
    .join('\n');
}
