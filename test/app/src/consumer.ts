// Type-checked with strict settings and no skipLibCheck: every call below must be typed from the
// installed declarations alone (no @spool/server needed for the client's router type).
import { createSpoolClient, SpoolError, type StreamEvent } from '@spool/client';
import { SpoolChatTransport } from '@spool/client/ai-sdk';
import { useChat } from '@spool/client/react';
import { loadConfig, mountSpool, openSpoolServices, spoolErrorData, spoolSseOptions } from '@spool/server';
import { initTRPC } from '@trpc/server';

export async function client(): Promise<string | undefined> {
  const spool = createSpoolClient({ url: 'http://127.0.0.1:3000/trpc' });
  const page = await spool.trpc.listMessages.query({ conversationId: crypto.randomUUID(), limit: 5 });
  const sent = await spool.trpc.sendMessage.mutate({ content: 'typed' });
  // @ts-expect-error content is a string: spool.trpc is typed, not any
  await spool.trpc.sendMessage.mutate({ content: 42 });
  for await (const event of spool.stream(sent.streamId)) {
    const typed: StreamEvent = event;
    if (typed.type === 'token') console.log(typed.text.toUpperCase());
  }
  return page.items[0]?.content;
}

export const hook: typeof useChat = useChat;
export const transport = (spool: ReturnType<typeof createSpoolClient>) => new SpoolChatTransport({ client: spool });
export const isSpoolError = (error: unknown) => error instanceof SpoolError && error.retryable;

export async function host() {
  const t = initTRPC.context<{ userId: string | null }>().create({
    sse: spoolSseOptions,
    errorFormatter: ({ shape, error }) => ({ ...shape, data: { ...shape.data, ...spoolErrorData(error) } }),
  });
  const services = await openSpoolServices(loadConfig({}));
  return t.router({ spool: mountSpool(t, services) });
}
