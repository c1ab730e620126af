import type { StreamEvent } from '@spool/shared';
import { onTestFinished } from 'vitest';
import { createSpoolClient, type SpoolClient, type SpoolClientOptions } from '../../src/client.ts';

/** The SDK's client, retrying fast (a test waits for reconnects), closed when the test finishes. */
export function spoolClient(options: SpoolClientOptions): SpoolClient {
  const client = createSpoolClient({ ...options, retry: { baseDelayMs: 20, maxDelayMs: 200, ...options.retry } });
  onTestFinished(() => client.close());
  return client;
}

/** Every event of an iterable, in order. */
export async function collect(events: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const collected: StreamEvent[] = [];
  for await (const event of events) collected.push(event);
  return collected;
}

/** The answer's text as the server keeps it: a fresh stream of it from index 0, tokens joined. */
export async function fullText(client: SpoolClient, streamId: string): Promise<string> {
  const events = await collect(client.stream(streamId));
  return events.map((event) => (event.type === 'token' ? event.text : '')).join('');
}
