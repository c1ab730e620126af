import { parseArgs } from 'node:util';
import { createSpoolClient } from '../client.ts';

/** `npm run chat -- "hello"`: sends a message to a running Spool and prints the answer as it streams. */
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    url: { type: 'string', default: process.env.SPOOL_URL ?? 'http://127.0.0.1:3000/trpc' },
    transport: { type: 'string', default: 'ws' },
    token: { type: 'string', default: process.env.SPOOL_TOKEN },
  },
});
const content = positionals.join(' ').trim();
if (!content || (values.transport !== 'ws' && values.transport !== 'sse')) {
  process.stderr.write(
    'usage: npm run chat -- [--transport ws|sse] [--url http://host:port/trpc] [--token JWT] "your message"\n',
  );
  process.exit(2);
}

const { token } = values;
const client = createSpoolClient({
  url: values.url,
  transport: values.transport,
  ...(token ? { token: () => token } : {}),
});
try {
  const sent = await client.sendMessage({ content });
  for await (const event of client.stream(sent.streamId)) {
    if (event.type === 'start') process.stderr.write(`[${event.model} over ${client.transport}]\n`);
    if (event.type === 'token') process.stdout.write(event.text);
    if (event.type === 'done') process.stderr.write(`\n[done: ${event.finishReason}, ${event.index + 1} events]\n`);
    if (event.type === 'error') {
      process.stderr.write(`\n[error ${event.code}: ${event.message}]\n`);
      process.exitCode = 1;
    }
  }
} catch (error) {
  process.stderr.write(`spool chat: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
} finally {
  await client.close();
}
