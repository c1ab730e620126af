import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fullText, lastSavedAnswer, spoolClient } from '../../client-sdk/test/helpers/sdk.ts';
import { startTestServer } from '../../server/test/helpers/server.ts';
import { findChromium } from './chromium.ts';

const webRoot = fileURLToPath(new URL('..', import.meta.url));
const screenshots = fileURLToPath(new URL('../../test-results/', import.meta.url));
/** The flags this machine's closed network needs. */
const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** 2.5 s: time to press a button mid-answer, even on a busy machine. */
const answer = { demoTokens: 150, demoTokensPerSecond: 60 };
const patiently = { timeout: 15_000 };

let pageDir: string;
let browser: Browser;

beforeAll(async () => {
  pageDir = await mkdtemp(join(tmpdir(), 'spool-web-'));
  await build({ root: webRoot, mode: 'production', logLevel: 'warn', build: { outDir: pageDir, emptyOutDir: true } });
  browser = await chromium.launch({ executablePath: await findChromium(), args: chromiumArgs });
}, 300_000);

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
  const starts = watchSubscriptions(page);
  await page.goto(new URL(`/?transport=${transport}`, server.url).href);
  return { server, page, failures, starts, close: () => context.close() };
}

/**
 * The first index each `stream` subscription the page opens asks for, as the server reads it
 * (`lastEventId` + 1, else `fromIndex`), from WebSocket frames and SSE request URLs.
 */
function watchSubscriptions(page: Page): number[] {
  const starts: number[] = [];
  const record = (input: { fromIndex?: number; lastEventId?: string | null } | undefined, lastEventId?: unknown) => {
    const last = lastEventId ?? input?.lastEventId;
    starts.push(last != null ? Number(last) + 1 : (input?.fromIndex ?? 0));
  };
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.pathname === '/trpc/stream') record(JSON.parse(url.searchParams.get('input') ?? '{}'));
  });
  page.on('websocket', (socket) =>
    socket.on('framesent', ({ payload }) => {
      if (typeof payload !== 'string' || (!payload.startsWith('{') && !payload.startsWith('['))) return;
      for (const message of [JSON.parse(payload)].flat()) {
        if (message.method === 'subscription') record(message.params?.input, message.params?.lastEventId);
      }
    }),
  );
  return starts;
}

async function ask(page: Page, question: string) {
  await page.getByLabel('message').fill(question);
  await page.getByRole('button', { name: 'Send' }).click();
}

const answerOnPage = (page: Page) => page.getByTestId('message-assistant').last();
const answerStatus = (page: Page) => page.locator('li.assistant').last().getAttribute('data-status');

describe.each([
  ['ws', 'WebSocket'],
  ['sse', 'Server-Sent Events'],
] as const)('the chat page in Chromium over %s', (transport, shownAs) => {
  it('streams an answer; dropped mid-answer, it resumes and the page shows the exact full answer', async () => {
    const { server, page, failures, starts, close } = await openChat(transport);
    try {
      await ask(page, `Tell me about ${transport}`);
      await expect
        .poll(async () => (await answerOnPage(page).textContent())?.length ?? 0, patiently)
        .toBeGreaterThan(100);
      await page.getByRole('button', { name: 'Drop connection' }).click();
      await expect.poll(() => answerStatus(page), patiently).toBe('complete');

      expect(await page.getByTestId('transport').textContent()).toBe(shownAs);
      // Subscribed from 0, then again after the drop from where it stopped, not from 0.
      expect(starts[0]).toBe(0);
      expect(starts.length).toBeGreaterThanOrEqual(2);
      expect(starts.at(-1)).toBeGreaterThan(5);
      expect(await page.getByTestId('resumed').textContent()).toMatch(/resumed at event \d+/);
      const shown = await answerOnPage(page).textContent();
      const node = spoolClient({ url: server.url, transport: 'ws' });
      const saved = await lastSavedAnswer(node);
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
  const { server, page, failures, starts, close } = await openChat('ws');
  try {
    await ask(page, 'survive a reload');
    await expect
      .poll(async () => (await answerOnPage(page).textContent())?.length ?? 0, patiently)
      .toBeGreaterThan(100);
    await page.reload();
    await expect.poll(() => answerStatus(page), patiently).toBe('complete');
    // The reloaded page went on from the index it had kept, not from 0.
    expect(starts.at(-1)).toBeGreaterThan(5);

    expect(await page.getByTestId('message-user').textContent()).toBe('survive a reload');
    const node = spoolClient({ url: server.url, transport: 'ws' });
    const saved = await lastSavedAnswer(node);
    expect(await answerOnPage(page).textContent()).toBe(saved?.content);
    expect(failures).toEqual([]);
  } finally {
    await close();
  }
});
