// A client of the app above: Spool under `spool`, through the app's superjson.
import { createSpoolClient } from '@spool/client';
import superjson from 'superjson';

const spool = createSpoolClient({ url: process.argv[2], path: 'spool', transformer: superjson, transport: 'sse' });
const result = await spool.chat('mounted in an app');
const history = await spool.trpc.listMessages.query({ conversationId: result.conversationId });
const cancelled = await spool.cancel(result.streamId).catch((error) => error.code);
console.log(JSON.stringify({ content: result.content, saved: history.items[0]?.content, cancelled }));
await spool.close();
