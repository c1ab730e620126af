import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { startTestServer } from '../../server/test/helpers/server.ts';
import { lastSavedAnswer, spoolClient } from './helpers/sdk.ts';

const quickstart = fileURLToPath(new URL('../examples/quickstart.ts', import.meta.url));

it("the README's five lines, as an app importing @spool/client: print the whole answer as saved", async () => {
  const server = await startTestServer({ demoTokens: 40, demoTokensPerSecond: 200 });
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--conditions=@spool/source', quickstart, 'from an app'],
    {
      env: { ...process.env, SPOOL_URL: server.url },
      timeout: 15_000,
    },
  );

  const spool = spoolClient({ url: server.url });
  const saved = await lastSavedAnswer(spool);
  expect(saved?.status).toBe('complete');
  expect(stdout).toBe(saved?.content);
  expect(stdout).toContain('from an app');
});
