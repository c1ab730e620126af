/**
 * `sessionStorage`, guarded: absent in Node, and where the browser refuses it (disabled storage,
 * a full quota) the hooks go on with what they hold in memory, never crash the page.
 */
function storage(): Storage | undefined {
  try {
    return globalThis.sessionStorage ?? undefined;
  } catch {
    return undefined; // reading it throws where storage is disabled
  }
}

/** The value stored under `key`, if it is there and is JSON. */
export function readStored(key: string): unknown {
  const saved = storage()?.getItem(key);
  if (!saved) return undefined;
  try {
    return JSON.parse(saved);
  } catch {
    return undefined; // not ours, or damaged
  }
}

export function writeStored(key: string, value: unknown): void {
  try {
    storage()?.setItem(key, JSON.stringify(value));
  } catch (error) {
    console.warn(`spool: could not keep ${key} in sessionStorage`, error);
  }
}

export function removeStored(key: string): void {
  storage()?.removeItem(key);
}
