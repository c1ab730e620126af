import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { connect, textOf, watch } from '../helpers/clients.ts';
import { startTestServer } from '../helpers/server.ts';
import { testAuth, tokenFor } from '../helpers/tokens.ts';

/** A logger at `info` whose lines the test reads, parsed. */
function capturedLog() {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { log, lines };
}

describe('logs', () => {
  it('one info line per answer at its end, and one per refused request and user, never the text or the token', async () => {
    const { log, lines } = capturedLog();
    const server = await startTestServer({ auth: testAuth, log, demoTokens: 8, abuse: { requestsPerMinute: 3 } });
    const token = await tokenFor('ada');
    const client = connect(server.url, 'ws', { token: () => token });
    const { streamId } = await client.sendMessage.mutate({ content: 'a secret question' });
    const text = textOf(await watch(client, { streamId }));
    for (let i = 0; i < 4; i++) await client.listConversations.query({}).catch(() => 'refused');
    await server.close();

    const ended = lines.filter((line) => line.msg === 'answer ended');
    expect(ended).toEqual([
      expect.objectContaining({
        level: 30,
        streamId,
        userId: 'ada',
        model: server.services.provider.defaultModel,
        outcome: 'complete',
        code: null,
        tokens: 8,
        firstTokenMs: expect.any(Number),
        durationMs: expect.any(Number),
      }),
    ]);
    const refused = lines.filter((line) => line.msg === 'refused a request');
    expect(refused).toEqual([expect.objectContaining({ level: 30, code: 'RATE_LIMITED', userId: 'ada' })]);
    // Three refusals in the window: the line above, then a count when the window ends (at close).
    expect(lines.filter((line) => line.msg === 'refused requests')).toEqual([
      expect.objectContaining({ code: 'RATE_LIMITED', userId: 'ada', refused: 3 }),
    ]);
    const everything = JSON.stringify(lines);
    expect(everything).not.toContain(text);
    expect(everything).not.toContain('a secret question');
    expect(everything).not.toContain(token);
  });
});
