// The README's five lines, run by client-sdk/test/quickstart.test.ts against a real server.
import { createSpoolClient } from '@spool/client';

const spool = createSpoolClient({ url: process.env.SPOOL_URL ?? 'http://127.0.0.1:3000/trpc' });
const reply = spool.chat(process.argv[2] ?? 'Why is the sky blue?');
for await (const text of reply) process.stdout.write(text);
await spool.close();
