import { describe, expect, it } from 'vitest';
import { WebSocket as NodeWebSocket } from 'ws';
import { range } from '../../server/test/helpers/clients.ts';
import { startTestServer } from '../../server/test/helpers/server.ts';
import { collect, spoolClient } from './helpers/sdk.ts';

/** Node before 22.4 has no global WebSocket: the client takes the `ws` package's, which is an EventEmitter. */
const WebSocket = NodeWebSocket as unknown as typeof globalThis.WebSocket;

describe("the `ws` package's WebSocket", () => {
  it("is probed by 'auto', streams, and resumes a dropped connection, every event once", async () => {
    const server = await startTestServer({ demoTokens: 40, demoTokensPerSecond: 100 });
    const spool = spoolClient({ url: server.url, WebSocket });
    expect(await spool.activeTransport()).toBe('ws');
    const { streamId } = await spool.sendMessage({ content: 'over ws' });
    const events = await collect(spool.stream(streamId), (event) => {
      if (event.index === 10) server.dropConnections();
    });
    expect(events.map((event) => event.index)).toEqual(range(0, 41));
  });

  it("probed by 'auto' where the server is down: no uncaught error, the call fails as a lost connection", async () => {
    const server = await startTestServer();
    const url = server.url;
    await server.close();
    const spool = spoolClient({ url, WebSocket, probeTimeoutMs: 200 });
    await expect(spool.sendMessage({ content: 'anyone?' })).rejects.toMatchObject({ code: 'CONNECTION_LOST' });
  });
});
