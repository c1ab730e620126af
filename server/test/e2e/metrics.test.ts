import type { StreamEvent } from '@spool/shared';
import { describe, expect, it, vi } from 'vitest';
import { cancelAt, connect, watch } from '../helpers/clients.ts';
import { uniquePrefix } from '../helpers/redis.ts';
import { startTestServer } from '../helpers/server.ts';

/** The samples of a Prometheus text page, by name and labels as written (`name{a="b"}`). */
async function scrape(base: string, token?: string): Promise<Map<string, number>> {
  const response = await fetch(new URL('/metrics', base), {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  expect(response.status).toBe(200);
  const samples = new Map<string, number>();
  for (const line of (await response.text()).split('\n')) {
    const match = /^(\S+) (\S+)$/.exec(line);
    if (match && !line.startsWith('#')) samples.set(match[1] ?? '', Number(match[2]));
  }
  return samples;
}

const tokens = 12;

describe('/metrics', () => {
  it('holds the exact counts of a scripted run: answers by outcome, tokens by transport, subscribers, resumes, refusals', async () => {
    const token = 'a-metrics-token-of-some-length';
    const server = await startTestServer({
      redisPrefix: uniquePrefix(),
      demoTokens: tokens,
      demoTokensPerSecond: 200,
      abuse: { requestsPerMinute: 12 },
      metricsToken: token,
    });
    expect((await fetch(new URL('/metrics', server.url))).status).toBe(401);
    const ws = connect(server.url, 'ws');
    const sse = connect(server.url, 'sse');

    // Two answers read over WebSocket, one over SSE, and that one again over SSE from index 5.
    const complete = await Promise.all([1, 2, 3].map((i) => ws.sendMessage.mutate({ content: `q${i}` })));
    const overWs: StreamEvent[][] = [];
    for (const { streamId } of complete.slice(0, 2)) overWs.push(await watch(ws, { streamId }));
    const streamId = complete[2]?.streamId ?? '';
    const overSse = [await watch(sse, { streamId }), await watch(sse, { streamId, fromIndex: 5 })];
    // One cancelled after its third token, watched over WebSocket.
    const cancelled = await ws.sendMessage.mutate({ content: 'stop me' });
    const cancel = cancelAt(ws, cancelled.streamId, 3);
    overWs.push(await watch(ws, { streamId: cancelled.streamId }, { onEvent: cancel.onEvent }));
    await cancel.settled();
    // Past the user's 12 requests a minute: refused.
    let refused = 0;
    for (let i = 0; i < 5; i++) {
      await sse.listConversations.query({}).catch((error: { data?: { spoolCode?: string } }) => {
        if (error.data?.spoolCode === 'RATE_LIMITED') refused++;
      });
    }
    expect(refused).toBeGreaterThan(0);
    const tokensIn = (reads: { type: string }[][]) => reads.flat().filter((event) => event.type === 'token').length;

    await vi.waitFor(async () => {
      const samples = await scrape(server.url, token);
      expect(samples.get('spool_answers_started_total')).toBe(4);
      expect(samples.get('spool_answers_finished_total{outcome="complete",code=""}')).toBe(3);
      expect(samples.get('spool_answers_finished_total{outcome="cancelled",code=""}')).toBe(1);
      expect(samples.get('spool_time_to_first_token_seconds_count')).toBe(4);
      expect(samples.get('spool_tokens_delivered_total{transport="ws"}')).toBe(tokensIn(overWs));
      expect(samples.get('spool_tokens_delivered_total{transport="sse"}')).toBe(tokensIn(overSse));
      expect(samples.get('spool_resumes_total{transport="sse"}')).toBe(1);
      expect(samples.get('spool_subscribers{transport="ws"}')).toBe(0);
      expect(samples.get('spool_subscribers{transport="sse"}')).toBe(0);
      expect(samples.get('spool_refusals_total{code="RATE_LIMITED"}')).toBe(refused);
      expect(samples.get('spool_active_answers')).toBe(0);
      expect(samples.get('spool_database_statement_seconds_count')).toBeGreaterThanOrEqual(2);
      expect(samples.has('nodejs_eventloop_lag_p99_seconds')).toBe(true);
    });
  });
});
