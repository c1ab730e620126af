import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newEmptyDatabase } from '../server/test/helpers/database.ts';

/**
 * Spool as a new app gets it: the three packages packed (`prepack` builds them), installed from
 * the tarballs into a copy of `test/app` outside the repository, and used there from Node 22 and
 * Node 24, type-checked strictly, bundled by Vite, mounted in an app's own tRPC server.
 */
const repo = fileURLToPath(new URL('..', import.meta.url));
const packages = ['@spool/shared', '@spool/client', '@spool/server'];
/** Node 22 from the npm `node` package, kept between runs. */
const node22Dir = join(repo, 'node_modules/.cache/spool-node22');
/** The Node the tests run on: the repository's (24). */
const node24 = process.execPath;
/** The children get a clean environment: no npm settings of the repository's run, no `@spool/source` condition. */
const cleanEnv = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !name.startsWith('npm_') && name !== 'NODE_OPTIONS'),
);

const exec = promisify(execFile);
const run = (file: string, args: string[], cwd: string, env: Record<string, string | undefined> = {}) =>
  exec(file, args, { cwd, env: { ...cleanEnv, ...env }, maxBuffer: 16 << 20, timeout: 90_000 });

let work: string;
let app: string;
let node22: string;
const servers: ChildProcess[] = [];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'spool-packages-'));
  app = join(work, 'app');
  const packs = join(work, 'packs');
  await mkdir(packs);
  [, node22] = await Promise.all([
    run(
      'npm',
      ['pack', '--silent', ...packages.flatMap((name) => ['--workspace', name]), '--pack-destination', packs],
      repo,
    ),
    installNode22(),
  ]);
  await cp(join(repo, 'test/app'), app, { recursive: true });
  const manifest = JSON.parse(await readFile(join(app, 'package.json'), 'utf8'));
  for (const tarball of await readdir(packs)) {
    const name = `@spool/${tarball.replace(/^spool-/, '').replace(/-\d+\.\d+\.\d+\.tgz$/, '')}`;
    manifest.dependencies[name] = `file:${join(packs, tarball)}`;
  }
  await writeFile(join(app, 'package.json'), JSON.stringify(manifest, null, 2));
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], app);
}, 180_000);

afterAll(async () => {
  await Promise.all(servers.map(stop));
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the packages, installed from their tarballs into a new app', () => {
  it('run a Spool server on Node 22 from JavaScript, and stream its answers to scripts on Node 22 and 24', async () => {
    // JSON logs only: the banner is the `listening` line on stdout.
    const { url } = await startServer(node22, ['node_modules/@spool/server/dist/main.js'], /"url":"([^"]+)"/, {
      PORT: '0',
      SPOOL_LOG_FORMAT: 'json',
      SPOOL_DATA_DIR: 'memory://',
      SPOOL_WEB_DIR: 'off',
      SPOOL_DEMO_TOKENS: '5',
      SPOOL_DEMO_TOKENS_PER_SECOND: '0',
      LOG_LEVEL: 'info',
    });
    for (const [node, transport, version] of [
      [node22, 'auto', /^v22\./],
      [node24, 'sse', process.version],
    ] as const) {
      const { stdout } = await run(node, ['src/stream.mjs', url, transport], app);
      const printed = JSON.parse(stdout);
      expect(printed.node).toMatch(version);
      expect(printed.transport).toBe(transport === 'auto' ? 'ws' : 'sse');
      expect(printed.text).toBe(printed.result.content);
      expect(printed.result).toMatchObject({ finishReason: 'stop', model: expect.stringMatching(/^spool-demo/) });
    }
  });

  it('type-check in a strict consumer without skipLibCheck: spool.trpc typed from the client alone', async () => {
    await expect(run(node24, ['node_modules/typescript/bin/tsc', '-p', '.'], app)).resolves.toMatchObject({
      stdout: '',
    });
  });

  it('bundle into a Vite React page with @spool/client/react', async () => {
    await run(node24, ['node_modules/vite/bin/vite.js', 'build', '--logLevel', 'warn'], app);
    const assets = await readdir(join(app, 'dist/assets'));
    const scripts = await Promise.all(assets.map((asset) => readFile(join(app, 'dist/assets', asset), 'utf8')));
    // The SDK is in the page, and its Node-only parts (the `ws` and `eventsource` packages) are not.
    expect(scripts.join('')).toContain('ENDPOINT_NOT_FOUND');
    expect(scripts.join('')).not.toContain('perMessageDeflate');
  });

  it('mount in an app with superjson, its own error formatter and a `spool.` prefix, migrated from the package', async () => {
    const database = await newEmptyDatabase();
    // The server's package on Node 24 here (Node 22 above), its client on Node 22.
    const { url } = await startServer(node24, ['src/host.mjs'], /"url":"([^"]+)"/, { DATABASE_URL: database });
    const { stdout } = await run(node22, ['src/mounted.mjs', url], app);
    const printed = JSON.parse(stdout);
    expect(printed.content).toBeTypeOf('string');
    expect(printed.saved).toBe(printed.content);
    expect(printed.cancelled).toBe('STREAM_ENDED');
  });
});

/** `npm install node@22` into the cache folder, once; the path of its binary. */
async function installNode22(): Promise<string> {
  const binary = join(node22Dir, 'node_modules/.bin/node');
  const installed = await run(binary, ['--version'], repo).then(
    ({ stdout }) => stdout.startsWith('v22.'),
    () => false,
  );
  if (installed) return binary;
  await mkdir(node22Dir, { recursive: true });
  const manifest = { name: 'spool-node22', private: true, allowScripts: { node: true } };
  await writeFile(join(node22Dir, 'package.json'), JSON.stringify(manifest));
  await run(
    'npm',
    ['install', 'node@22', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'],
    node22Dir,
  );
  return binary;
}

/** Starts a server in the app and waits for the line that gives its URL (the pattern's first group). */
async function startServer(node: string, args: string[], urlLine: RegExp, env: Record<string, string>) {
  const child = spawn(node, args, { cwd: app, env: { ...cleanEnv, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  servers.push(child);
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code} before it listened`))),
  );
  const listening = (async () => {
    for await (const line of createInterface({ input: child.stdout })) {
      const url = urlLine.exec(line)?.[1];
      if (url) return { url };
    }
    throw new Error(`${args.join(' ')} printed no URL`);
  })();
  return Promise.race([listening, exited]);
}

/** SIGTERM, then SIGKILL for a server that does not stop within 10 s. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
