import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

/** Where Debian and Ubuntu put Chromium; `CHROMIUM_PATH` names another. */
const knownPaths = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];
const installCommand = 'sudo apt-get install -y --no-install-recommends chromium';

/**
 * The Chromium the browser test drives: `CHROMIUM_PATH`, or Debian's. Browsers cannot be downloaded
 * at run time here, so a missing one is installed with apt-get where that is possible (as root),
 * and otherwise the test fails with the one command that installs it.
 */
export function findChromium(): string {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  const found = knownPaths.find(executable);
  if (found) return found;
  if (process.getuid?.() === 0 && executable('/usr/bin/apt-get')) {
    const apt = (...args: string[]) => execFileSync('apt-get', args, { stdio: 'ignore', env: aptEnv });
    try {
      apt('install', '-y', '--no-install-recommends', 'chromium');
    } catch {
      apt('update');
      apt('install', '-y', '--no-install-recommends', 'chromium');
    }
    const installed = knownPaths.find(executable);
    if (installed) return installed;
  }
  throw new Error(`the browser test needs Chromium: run \`${installCommand}\`, or set CHROMIUM_PATH`);
}

const aptEnv = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
