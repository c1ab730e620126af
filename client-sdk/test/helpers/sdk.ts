import type { StreamEvent } from '@spool/shared';
import { onTestFinished } from 'vitest';
import { lastSaved, textOf } from '../../../server/test/helpers/clients.ts';
import { createSpoolClient, type SpoolClient, type SpoolClientOptions } from '../../src/client.ts';

/** The SDK's client, retrying fast (a test waits for reconnects), closed when the test finishes. */
export function spoolClient(options: SpoolClientOptions): SpoolClient {
  const client = createSpoolClient({ ...options, retry: { baseDelayMs: 20, maxDelayMs: 200, ...options.retry } });
  onTestFinished(() => client.close());
  return client;
}

/**
 * Reads a stream in the background: `seen` fills as events arrive (and keeps them when the stream
 * throws), `done` settles when it ends. `onEvent` sees each event first, to act mid-stream.
 */
export function reading(events: AsyncIterable<StreamEvent>, onEvent?: (event: StreamEvent) => void) {
  const seen: StreamEvent[] = [];
  const done = (async () => {
    for await (const event of events) {
      seen.push(event);
      onEvent?.(event);
    }
  })();
  return { seen, done };
}

/** Every event of a stream, in order. */
export async function collect(
  events: AsyncIterable<StreamEvent>,
  onEvent?: (event: StreamEvent) => void,
): Promise<StreamEvent[]> {
  const { seen, done } = reading(events, onEvent);
  await done;
  return seen;
}

/** The answer's text as the server keeps it: a fresh stream of it from index 0, tokens joined. */
export async function fullText(client: SpoolClient, streamId: string): Promise<string> {
  return textOf(await collect(client.stream(streamId)));
}

/** The newest saved message of a conversation (by default the newest conversation): the answer, once saved. */
export async function lastSavedAnswer(client: SpoolClient, conversationId?: string) {
  const id = conversationId ?? (await client.trpc.listConversations.query({ limit: 1 })).items[0]?.id;
  if (!id) throw new Error('no conversation saved');
  return lastSaved(client.trpc, id);
}

export const indexes = (events: StreamEvent[]) => events.map((event) => event.index);
