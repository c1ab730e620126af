import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fullText, spoolClient } from '../../client-sdk/test/helpers/sdk.ts';
import { startTestServer } from '../../server/test/helpers/server.ts';

const webRoot = fileURLToPath(new URL('..', import.meta.url));
const screenshots = fileURLToPath(new URL('../../test-results/', import.meta.url));
/** Debian's Chromium (`apt-get install chromium`; .ci/run installs it), with the flags this machine's closed network needs. */
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const answer = { demoTokens: 80, demoTokensPerSecond: 60 };

let pageDir: string;
let browser: Browser;

beforeAll(async () => {
  pageDir = await mkdtemp(join(tmpdir(), 'spool-web-'));
  await build({ root: webRoot, mode: 'production', logLevel: 'warn', build: { outDir: pageDir, emptyOutDir: true } });
  browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  if (pageDir) await rm(pageDir, { recursive: true, force: true });
});

async function openChat(transport: 'ws' | 'sse') {
  const server = await startTestServer({ ...answer, webDir: pageDir });
  const context = await browser.newContext();
  const page = await context.newPage();
  const failures: string[] = [];
  page.on('pageerror', (error) => failures.push(error.message));
  await page.goto(new URL(`/?transport=${transport}`, server.url).href);
  return { server, page, failures, close: () => context.close() };
}

async function ask(page: Page, question: string) {
  await page.getByLabel('message').fill(question);
  await page.getByRole('button', { name: 'Send' }).click();
}

const answerOnPage = (page: Page) => page.getByTestId('message-assistant').last();

describe.each([
  ['ws', 'WebSocket'],
  ['sse', 'Server-Sent Events'],
] as const)('the chat page in Chromium over %s', (transport, shownAs) => {
  it('streams an answer; dropped mid-answer, it resumes and the page shows the exact full answer', async () => {
    const { server, page, failures, close } = await openChat(transport);
    try {
      await ask(page, `Tell me about ${transport}`);
      await expect.poll(async () => (await answerOnPage(page).textContent())?.length ?? 0).toBeGreaterThan(40);
      await page.getByRole('button', { name: 'Drop connection' }).click();
      await expect.poll(() => answerOnPage(page).getAttribute('data-status'), { timeout: 15_000 }).toBe('complete');

      expect(await page.getByTestId('transport').textContent()).toBe(shownAs);
      expect(await page.getByTestId('drops').count()).toBe(1);
      const shown = await answerOnPage(page).textContent();
      const node = spoolClient({ url: server.url, transport: 'ws' });
      const [conversation] = (await node.trpc.listConversations.query({})).items;
      const [saved] = (await node.trpc.listMessages.query({ conversationId: conversation?.id ?? '', limit: 1 })).items;
      expect(saved?.streamId).toBeDefined();
      expect(shown).toBe(await fullText(node, saved?.streamId ?? ''));
      expect(shown).toBe(saved?.content);
      await page.screenshot({ path: join(screenshots, `chat-page-${transport}.png`), fullPage: true });
      expect(failures).toEqual([]);
    } finally {
      await close();
    }
  });
});

it('a reload mid-answer keeps the conversation and finishes the answer exactly', async () => {
  const { server, page, failures, close } = await openChat('ws');
  try {
    await ask(page, 'survive a reload');
    await expect.poll(async () => (await answerOnPage(page).textContent())?.length ?? 0).toBeGreaterThan(40);
    await page.reload();
    await expect.poll(() => answerOnPage(page).getAttribute('data-status'), { timeout: 15_000 }).toBe('complete');

    expect(await page.getByTestId('message-user').textContent()).toBe('survive a reload');
    const node = spoolClient({ url: server.url, transport: 'ws' });
    const [conversation] = (await node.trpc.listConversations.query({})).items;
    const [saved] = (await node.trpc.listMessages.query({ conversationId: conversation?.id ?? '', limit: 1 })).items;
    expect(await answerOnPage(page).textContent()).toBe(saved?.content);
    expect(failures).toEqual([]);
  } finally {
    await close();
  }
});
