/**
 * Time to first token as a client sees it: from calling `sendMessage` to receiving the first `token`
 * event over WebSocket, with the demo model emitting its first token at once. Sequential answers (one
 * at a time) and concurrent ones (all sent together), in the embedded mode (in-process log, PGlite)
 * and in Redis + PostgreSQL mode, each against a fresh server process.
 */
import type { AppRouter } from '@spool/server';
import { createTRPCClient, createWSClient, type TRPCClient, wsLink } from '@trpc/client';
import { ChildHandle, errorMessage } from './ipc.ts';
import type { ServerApi, ServerHello } from './protocol.ts';
import { serverEnv } from './server-env.ts';
import { type Percentiles, percentiles } from './stats.ts';
import { wallNow } from './time.ts';

export type TtftMode = 'embedded' | 'redis+postgres';

export interface TtftSettings {
  sequential: number;
  concurrent: number;
  redisUrl: string;
  prefix: string;
  databaseUrl: string;
}

export interface TtftResult {
  mode: TtftMode;
  sequential: Percentiles | null;
  concurrent: Percentiles | null;
  failure: string | null;
}

const warmUp = 20;
/** The first token comes at once; the second a while later, so that the rest of an answer does not crowd the next first token. */
const tokensPerAnswer = 2;
const tokensPerSecond = 10;

export async function runTtft(mode: TtftMode, settings: TtftSettings): Promise<TtftResult> {
  const env = serverEnv(mode === 'embedded' ? undefined : settings, {
    SPOOL_DEMO_TOKENS: String(tokensPerAnswer),
    SPOOL_DEMO_TOKENS_PER_SECOND: String(tokensPerSecond),
  });
  const server = await ChildHandle.start<ServerApi, ServerHello>(
    `server (${mode})`,
    new URL('./server-process.ts', import.meta.url),
    env,
    60_000,
  );
  const ws = createWSClient({ url: server.hello.url.replace(/^http/, 'ws') });
  const client = createTRPCClient<AppRouter>({ links: [wsLink({ client: ws })] });
  try {
    for (let i = 0; i < warmUp; i++) await timeToFirstToken(client, i);
    const sequential = new Float64Array(settings.sequential);
    for (let i = 0; i < settings.sequential; i++) sequential[i] = await timeToFirstToken(client, i);
    const concurrent = Float64Array.from(
      await Promise.all(Array.from({ length: settings.concurrent }, (_, i) => timeToFirstToken(client, i))),
    );
    return {
      mode,
      sequential: percentiles(sequential, sequential.length),
      concurrent: percentiles(concurrent, concurrent.length),
      failure: null,
    };
  } catch (error) {
    return { mode, sequential: null, concurrent: null, failure: errorMessage(error) };
  } finally {
    ws.close();
    await server.stop(10_000);
  }
}

/** Sends one message and watches its stream up to the first token; resolves with the milliseconds it took. */
export async function timeToFirstToken(client: TRPCClient<AppRouter>, n: number): Promise<number> {
  const sentAt = wallNow();
  const { streamId } = await client.sendMessage.mutate({ content: `question ${n}` });
  for await (const { data } of client.stream.subscribe({ streamId })) {
    if (data.type === 'token') return wallNow() - sentAt;
    if (data.type === 'error' || data.type === 'done') throw new Error(`answer ${n} ended before its first token`);
  }
  throw new Error(`the stream of answer ${n} ended without a terminal event`);
}

export function ttftTable(results: TtftResult[], settings: Pick<TtftSettings, 'sequential' | 'concurrent'>): string {
  const ms = (value: number | undefined) => (value === undefined ? '-' : value.toFixed(2));
  const rows = results.map((result) =>
    result.failure
      ? `| ${result.mode} | failed: ${result.failure} | | | |`
      : `| ${result.mode} | ${ms(result.sequential?.p50)} | ${ms(result.sequential?.p99)} | ${ms(result.concurrent?.p50)} | ${ms(result.concurrent?.p99)} |`,
  );
  return [
    `| mode | ${settings.sequential} sequential p50 ms | p99 ms | ${settings.concurrent} concurrent p50 ms | p99 ms |`,
    '|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

export function ttftTarget(results: TtftResult[]): string {
  const scaled = results.find((result) => result.mode === 'redis+postgres');
  const p50 = scaled?.sequential?.p50;
  if (p50 === undefined) return '- time to first token p50 <= 10 ms (Redis + PostgreSQL): not measured';
  return `- time to first token p50 <= 10 ms (Redis + PostgreSQL, sequential): ${p50.toFixed(2)} ms, ${p50 <= 10 ? 'MET' : 'MISSED'}`;
}
