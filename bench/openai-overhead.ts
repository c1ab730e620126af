/**
 * Spool's overhead on time to first token with a real model API in front: a local OpenAI-compatible
 * server (the tests' scripted one, in its own process) answering its first chunk at once, called (a) directly with the
 * `openai` client and (b) through a Spool server process (Redis + PostgreSQL) that calls it, with
 * the same concurrency, in the same run. The difference is what Spool adds.
 */
import type { AppRouter } from '@spool/server';
import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import OpenAI from 'openai';
import { ChildHandle, errorMessage } from './ipc.ts';
import type { ServerApi, ServerHello } from './protocol.ts';
import { serverEnv, serverNodeArgs } from './server-env.ts';
import { type Percentiles, percentiles } from './stats.ts';
import { wallNow } from './time.ts';
import { timeToFirstToken } from './ttft.ts';

export interface OverheadSettings {
  concurrent: number;
  rounds: number;
  redisUrl: string;
  prefix: string;
  databaseUrl: string;
}

export interface OverheadResult {
  direct: Percentiles | null;
  spool: Percentiles | null;
  failure: string | null;
}

const model = 'bench-model';

export async function runOpenAIOverhead(settings: OverheadSettings): Promise<OverheadResult> {
  const fake = await ChildHandle.start<Record<string, never>, { baseURL: string }>(
    'model server',
    new URL('./model-server-process.ts', import.meta.url),
    {},
    30_000,
  );
  const { baseURL } = fake.hello;
  const server = await ChildHandle.start<ServerApi, ServerHello>(
    'server (openai)',
    new URL('./server-process.ts', import.meta.url),
    serverEnv(settings, { OPENAI_BASE_URL: baseURL, SPOOL_MODEL: model }),
    60_000,
    serverNodeArgs,
  );
  const ws = createWSClient({ url: server.hello.url.replace(/^http/, 'ws') });
  const spool = createTRPCClient<AppRouter>({ links: [wsLink({ client: ws })] });
  const openai = new OpenAI({ apiKey: 'not-needed', baseURL, maxRetries: 0, logLevel: 'off' });
  try {
    const direct = async () => {
      const startedAt = wallNow();
      const stream = await openai.chat.completions.create({
        model,
        messages: [{ role: 'user', content: 'question' }],
        stream: true,
        stream_options: { include_usage: true },
      });
      let firstMs = Number.NaN;
      for await (const chunk of stream) {
        if (Number.isNaN(firstMs) && chunk.choices?.[0]?.delta?.content) firstMs = wallNow() - startedAt;
      }
      if (Number.isNaN(firstMs)) throw new Error('the model server answered without a token');
      return firstMs;
    };
    const viaSpool = (n: number) => timeToFirstToken(spool, n);
    // Warm both paths (connections, JIT) before measuring.
    await Promise.all(Array.from({ length: settings.concurrent }, (_, i) => Promise.all([direct(), viaSpool(i)])));
    const directMs: number[] = [];
    const spoolMs: number[] = [];
    for (let round = 0; round < settings.rounds; round++) {
      // Alternate which goes first, so that neither always meets a warmer machine.
      const order = round % 2 === 0 ? ['direct', 'spool'] : ['spool', 'direct'];
      for (const path of order) {
        const batch = Array.from({ length: settings.concurrent }, (_, i) =>
          path === 'direct' ? direct() : viaSpool(i),
        );
        (path === 'direct' ? directMs : spoolMs).push(...(await Promise.all(batch)));
      }
    }
    return {
      direct: percentiles(Float64Array.from(directMs), directMs.length),
      spool: percentiles(Float64Array.from(spoolMs), spoolMs.length),
      failure: null,
    };
  } catch (error) {
    return { direct: null, spool: null, failure: errorMessage(error) };
  } finally {
    ws.close();
    await server.stop(10_000);
    await fake.stop(10_000);
  }
}

export function overheadTable(
  result: OverheadResult,
  settings: Pick<OverheadSettings, 'concurrent' | 'rounds'>,
): string {
  if (result.failure || !result.direct || !result.spool) return `failed: ${result.failure ?? 'no samples'}`;
  const { direct, spool } = result;
  const ms = (value: number) => value.toFixed(2);
  const p50 = spool.p50 - direct.p50;
  const p99 = spool.p99 - direct.p99;
  return [
    `| ${settings.concurrent} concurrent x ${settings.rounds} rounds | p50 ms | p90 ms | p99 ms | max ms |`,
    '|---|---|---|---|---|',
    `| openai client -> model server | ${ms(direct.p50)} | ${ms(direct.p90)} | ${ms(direct.p99)} | ${ms(direct.max)} |`,
    `| Spool client -> Spool -> model server | ${ms(spool.p50)} | ${ms(spool.p90)} | ${ms(spool.p99)} | ${ms(spool.max)} |`,
    `| Spool's overhead | ${ms(p50)} | ${ms(spool.p90 - direct.p90)} | ${ms(p99)} | |`,
    '',
    `- overhead p50 <= 10 ms: ${ms(p50)} ms, ${p50 <= 10 ? 'MET' : 'MISSED'}; p99 <= 25 ms: ${ms(p99)} ms, ${p99 <= 25 ? 'MET' : 'MISSED'}`,
  ].join('\n');
}
