interface Corkable {
  cork(): void;
  uncork(): void;
}

const corked = new Set<Corkable>();

function uncorkAll(): void {
  try {
    for (const stream of corked) stream.uncork();
  } finally {
    corked.clear();
  }
}

/**
 * Holds a socket's writes until the current turn of the event loop has run its course (one Redis read
 * can carry many events for one socket), then sends them together: one syscall instead of one per frame.
 */
export function corkForThisTurn(stream: Corkable): void {
  if (corked.has(stream)) return;
  stream.cork();
  corked.add(stream);
  if (corked.size === 1) queueMicrotask(uncorkAll);
}
