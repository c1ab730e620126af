import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// `node --expose-gc` would need a flag on every command line; a fresh context picks the flag up at run time.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/**
 * A full garbage collection, outside any measured window: each window then starts from a clean heap
 * (not one full of the previous case's garbage), and a heap measured after it is what is retained.
 */
export function collectGarbage(): void {
  gc();
}
