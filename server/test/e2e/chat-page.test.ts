import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startTestServer } from '../helpers/server.ts';
import { tempDir } from '../helpers/temp-dir.ts';

describe('the chat page at /', () => {
  it('serves index.html to revalidate and hashed assets to keep; a rebuild shows without a restart', async () => {
    const dir = await tempDir('spool-page-');
    const server = await startTestServer({ webDir: dir });
    const root = new URL('/', server.url);

    const before = await fetch(root);
    expect(before.status).toBe(404);
    expect(await before.text()).toContain('npm run build -w @spool/web');

    await mkdir(join(dir, 'assets'));
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>Spool</title>');
    await writeFile(join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
    const page = await fetch(root);
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-cache');
    expect(await page.text()).toContain('<title>Spool</title>');
    const asset = await fetch(new URL('/assets/index-abc123.js', root));
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  });

  it('keeps its files to itself: no path outside the folder, no other method than GET and HEAD', async () => {
    const dir = await tempDir('spool-page-');
    await writeFile(join(dir, 'index.html'), 'page');
    const server = await startTestServer({ webDir: dir });
    const root = new URL('/', server.url);

    const traversal = await fetch(new URL('/%2e%2e/%2e%2e/etc/passwd', root));
    expect(traversal.status).toBe(404);
    expect((await fetch(root, { method: 'POST' })).status).toBe(404);
    expect((await fetch(root, { method: 'HEAD' })).status).toBe(200);
    expect((await fetch(new URL('/healthz', root))).status).toBe(200);
    expect(await (await fetch(new URL('/favicon.ico', root))).text()).toBe('not found\n');
  });

  it("answers a range it cannot satisfy with 416, not as the server's failure", async () => {
    const dir = await tempDir('spool-page-');
    await writeFile(join(dir, 'index.html'), 'page');
    const server = await startTestServer({ webDir: dir });
    const response = await fetch(new URL('/', server.url), { headers: { range: 'bytes=99999-' } });
    expect(response.status).toBe(416);
  });
});
