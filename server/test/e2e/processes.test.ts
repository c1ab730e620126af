import { request } from 'node:http';
import type { StreamEvent } from '@spool/shared';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { createSpoolClient } from '../../../client-sdk/src/client.ts';
import { collect } from '../../../client-sdk/test/helpers/sdk.ts';
import { inTurn } from '../helpers/clients.ts';
import { sharedEnv, startSpoolProcess } from '../helpers/spool-process.ts';

const tokens = 30;

describe('SPOOL_PROCESSES=2', () => {
  it('runs two processes on one port: both serve WS and SSE, a client resumes across them, SIGTERM drains both', async () => {
    const server = await startSpoolProcess(
      await sharedEnv({
        SPOOL_PROCESSES: '2',
        LOG_LEVEL: 'info',
        SPOOL_DEMO_TOKENS: String(tokens),
        SPOOL_DEMO_TOKENS_PER_SECOND: '100',
      }),
    );
    const clients = Array.from({ length: 6 }, (_, i) =>
      createSpoolClient({ url: server.url, transport: i % 2 === 0 ? 'ws' : 'sse' }),
    );
    onTestFinished(() => {
      for (const client of clients) client.close();
    });
    // Each message sent on a connection of its own, one after the other and before any client
    // connects: the primary hands new connections to the processes in turn, so both start answers.
    const streamIds: string[] = [];
    for (const i of clients.keys()) {
      const sent = await onItsOwnConnection(new URL(`${server.url}/sendMessage`), { content: `question ${i}` });
      streamIds.push((JSON.parse(sent) as { result: { data: { streamId: string } } }).result.data.streamId);
    }
    // Read over WS and SSE alike.
    const answers = await Promise.all(
      clients.map(async (client, i) => ({ events: await collect(client.stream(inTurn(streamIds, i))) })),
    );
    for (const { events } of answers) expect(events.at(-1)).toMatchObject({ type: 'done' });
    // Logged just after the answer's end was sent.
    await vi.waitFor(() => {
      const ended = server.logs.filter((line) => line.msg === 'answer ended');
      expect(new Set(ended.map((line) => line.pid)).size).toBe(2);
    });

    // Read half an answer on one connection, then resume it from a new client (a new connection,
    // so the other process) from the next index.
    const reader = inTurn(clients, 0);
    const { streamId } = await reader.sendMessage({ content: 'a resumed one' });
    const firstHalf: StreamEvent[] = [];
    for await (const event of reader.stream(streamId)) {
      firstHalf.push(event);
      if (event.index === tokens / 2) break;
    }
    for (const transport of ['ws', 'sse'] as const) {
      const resumer = createSpoolClient({ url: server.url, transport });
      onTestFinished(() => resumer.close());
      const rest = await collect(resumer.stream(streamId, { fromIndex: tokens / 2 + 1 }));
      expect([...firstHalf, ...rest].map((event) => event.index)).toEqual(
        Array.from({ length: tokens + 2 }, (_, i) => i),
      );
    }

    // Whichever process a scrape reaches (a new connection each), /metrics is the sum over both.
    for (let i = 0; i < 4; i++) {
      expect(await onItsOwnConnection(new URL('/metrics', server.url))).toMatch(/^spool_answers_started_total 7$/m);
    }

    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    await vi.waitFor(() => expect(server.logs.filter((line) => line.msg === 'drained')).toHaveLength(2), {
      timeout: 5_000,
    });
  }, 60_000);
});

/** A GET, or a POST of `body` as JSON, on a connection of its own; resolves with the response's text. */
function onItsOwnConnection(url: URL, body?: unknown): Promise<string> {
  return new Promise((resolve, reject) => {
    const options = body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' } };
    const req = request(url, { agent: false, ...options }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => resolve(text));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}
