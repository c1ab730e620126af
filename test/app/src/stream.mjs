// An app's script: streams one answer from the Spool at argv[2] over argv[3], prints what it got as JSON.
import { createSpoolClient } from '@spool/client';

const [url, transport] = process.argv.slice(2);
const spool = createSpoolClient({ url, transport });
const reply = spool.chat('from an installed app');
let text = '';
for await (const delta of reply) text += delta;
const result = await reply;
console.log(JSON.stringify({ node: process.version, transport: await spool.activeTransport(), text, result }));
await spool.close();
