import { describe, expect, it } from 'vitest';
import { startTestServer } from '../../server/test/helpers/server.ts';
import { startTcpProxy } from '../../server/test/helpers/tcp-proxy.ts';
import { testAuth } from '../../server/test/helpers/tokens.ts';
import { createSpoolClient } from '../src/client.ts';
import { SpoolError } from '../src/errors.ts';
import type { Transport } from '../src/transports.ts';
import { startHttpOnlyProxy } from './helpers/http-only-proxy.ts';
import { fullText, spoolClient } from './helpers/sdk.ts';

/** How long a mistake may take to be reported: well under the 15 s a call may wait for a slow server. */
const promptlyMs = 1_000;

/** The SpoolError `run` fails with, and how long it took. */
async function failure(run: () => Promise<unknown>): Promise<{ error: SpoolError; ms: number }> {
  const started = performance.now();
  const error = await run().then(
    () => expect.unreachable('it should have failed'),
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(SpoolError);
  return { error: error as SpoolError, ms: performance.now() - started };
}

describe('options that cannot work are refused when the client is made', () => {
  it.each([
    ['no scheme', '127.0.0.1:3000/trpc'],
    ['not a URL', 'http//localhost'],
    ['another scheme', 'ftp://127.0.0.1/trpc'],
  ])('a URL with %s: INVALID_OPTIONS', (_case, url) => {
    expect(() => createSpoolClient({ url })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS', retryable: false, message: expect.stringContaining(url) }),
    );
  });

  it('an unknown transport: INVALID_OPTIONS naming the ones there are', () => {
    const make = () => createSpoolClient({ url: 'http://127.0.0.1:3000/trpc', transport: 'websocket' as Transport });
    expect(make).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS', message: expect.stringContaining("'ws'") }),
    );
  });
});

describe.each<Transport>(['ws', 'sse', 'auto'])('a URL that is not the tRPC endpoint (%s)', (transport) => {
  it('fails calls and streams at once with ENDPOINT_NOT_FOUND, saying where the endpoint usually is', async () => {
    const server = await startTestServer();
    const wrong = server.url.replace(/\/trpc$/, '');
    const spool = spoolClient({ url: wrong, transport });
    const sent = await failure(() => spool.sendMessage({ content: 'hello' }));
    expect(sent.error).toMatchObject({ code: 'ENDPOINT_NOT_FOUND', retryable: false });
    expect(sent.error.message).toContain('.../trpc');
    expect(sent.ms).toBeLessThan(promptlyMs);
    const streamed = await failure(async () => {
      for await (const _ of spool.stream(crypto.randomUUID())) break;
    });
    expect(streamed.error.code).toBe('ENDPOINT_NOT_FOUND');
    expect(streamed.ms).toBeLessThan(promptlyMs);
  });
});

describe('a gateway that answers 502 for a moment', () => {
  it('is a lost connection, retried, not a wrong endpoint: the client works once it is back', async () => {
    const server = await startTestServer();
    let down = true;
    const url = await startHttpOnlyProxy(new URL(server.url), { badGateway: () => down });
    const spool = spoolClient({ url, transport: 'sse' });
    const failed = await failure(() => spool.sendMessage({ content: 'now?' }));
    expect(failed.error).toMatchObject({ code: 'CONNECTION_LOST', retryable: true });
    down = false;
    const sent = await spool.sendMessage({ content: 'and now?' });
    expect(await fullText(spool, sent.streamId)).not.toBe('');
  });
});

describe.each<Transport>(['ws', 'sse'])('a missing or bad token (%s)', (transport) => {
  it.each([
    ['missing', undefined],
    ['bad', 'not-a-jwt'],
  ])('%s: UNAUTHENTICATED at once, not retried', async (_case, token) => {
    const server = await startTestServer({ auth: testAuth });
    const spool = spoolClient({ url: server.url, transport, ...(token ? { token } : {}) });
    const sent = await failure(() => spool.sendMessage({ content: 'let me in' }));
    expect(sent.error).toMatchObject({ code: 'UNAUTHENTICATED', retryable: false });
    expect(sent.ms).toBeLessThan(promptlyMs);
    const streamed = await failure(async () => {
      for await (const _ of spool.stream(crypto.randomUUID())) break;
    });
    expect(streamed.error).toMatchObject({ code: 'UNAUTHENTICATED', retryable: false });
    expect(streamed.ms).toBeLessThan(promptlyMs);
  });
});

describe("'auto'", () => {
  it('probes the WebSocket again after the server it could not reach at first comes back', async () => {
    const server = await startTestServer();
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: server.port });
    proxy.cut();
    const spool = spoolClient({ url: `http://127.0.0.1:${proxy.port}/trpc`, probeTimeoutMs: 500 });
    const down = await failure(() => spool.sendMessage({ content: 'anyone there?' }));
    expect(down.error).toMatchObject({ code: 'CONNECTION_LOST', retryable: true });
    expect(await spool.activeTransport()).toBe('sse');

    proxy.restore();
    const sent = await spool.sendMessage({ content: 'and now?' });
    expect(sent.streamId).toBeTypeOf('string');
    expect(await spool.activeTransport()).toBe('ws');
  });
});
