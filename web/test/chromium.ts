import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { promisify } from 'node:util';

/** Where Debian and Ubuntu put Chromium; `CHROMIUM_PATH` names another. */
const knownPaths = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];
const installCommand = 'sudo apt-get install -y --no-install-recommends chromium';
const aptTimeoutMs = 240_000;

/**
 * The Chromium the browser test drives: `CHROMIUM_PATH`, or Debian's. Browsers cannot be downloaded
 * at run time here, so a missing one is installed with apt-get where that is possible (as root),
 * and otherwise the test fails with the one command that installs it.
 */
export async function findChromium(): Promise<string> {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  const found = knownPaths.find(executable);
  if (found) return found;
  if (process.getuid?.() === 0 && executable('/usr/bin/apt-get')) {
    const apt = (...args: string[]) =>
      promisify(execFile)('apt-get', args, {
        timeout: aptTimeoutMs,
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      });
    const install = () => apt('install', '-y', '--no-install-recommends', 'chromium');
    const failed = await install()
      .catch(() => apt('update').then(install))
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    const installed = knownPaths.find(executable);
    if (installed) return installed;
    throw needed(failed);
  }
  throw needed();
}

function needed(cause?: unknown): Error {
  return new Error(`the browser test needs Chromium: run \`${installCommand}\`, or set CHROMIUM_PATH`, { cause });
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
