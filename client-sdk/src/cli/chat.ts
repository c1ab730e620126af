import { parseArgs } from 'node:util';
import { createSpoolClient } from '../client.ts';
import { SpoolError } from '../errors.ts';

/** `npm run chat -- "hello"`: sends a message to a running Spool and prints the answer as it streams. */
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    url: { type: 'string', default: process.env.SPOOL_URL ?? 'http://127.0.0.1:3000/trpc' },
    transport: { type: 'string', default: 'auto' },
    token: { type: 'string', default: process.env.SPOOL_TOKEN },
  },
});
const content = positionals.join(' ').trim();
const { transport } = values;
if (!content || (transport !== 'ws' && transport !== 'sse' && transport !== 'auto')) {
  process.stderr.write(
    'usage: npm run chat -- [--transport auto|ws|sse] [--url http://host:port/trpc] [--token JWT] "your message"\n',
  );
  process.exit(2);
}

// Piped into `head`: a closed stdout ends the command quietly, as for any other Unix tool.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(0);
});

const client = createSpoolClient({ url: values.url, transport, token: values.token });
try {
  const reply = client.chat(content);
  for await (const text of reply) process.stdout.write(text);
  const result = await reply.result;
  process.stderr.write(`\n[${result.model} over ${await client.activeTransport()}: ${result.finishReason}]\n`);
} catch (error) {
  const code = error instanceof SpoolError ? ` ${error.code}` : '';
  process.stderr.write(`\nspool chat:${code} ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
} finally {
  await client.close();
}
