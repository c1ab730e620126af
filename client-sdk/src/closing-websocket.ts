/**
 * The platform's WebSocket, with a `close()` that stops waiting for the closing handshake after
 * `timeoutMs`. Over a half-open connection (the network gone without a word, which is what the
 * keep-alive pings detect) the server's close frame never arrives, so neither would the `close`
 * event that tRPC's client waits for before it reconnects; it is then dispatched here (1006).
 */
export function withClosingTimeout(Base: typeof WebSocket, timeoutMs: number): typeof WebSocket {
  return class ClosingWebSocket extends Base {
    override close(code?: number, reason?: string): void {
      super.close(code, reason);
      const timer = setTimeout(() => {
        if (this.readyState === this.CLOSED) return;
        const reason = 'the closing handshake timed out';
        // The `ws` package's class (Node before 22.4) is an EventEmitter with no dispatchEvent.
        if (typeof this.dispatchEvent === 'function') this.dispatchEvent(closeEvent(1006, reason));
        else
          (this as unknown as { emit(event: string, code: number, reason: Buffer): void }).emit(
            'close',
            1006,
            Buffer.from(reason),
          );
      }, timeoutMs);
      // In Node, a closed client must not keep the process alive for this.
      (timer as { unref?: () => void }).unref?.();
      this.addEventListener('close', () => clearTimeout(timer), { once: true });
    }
  };
}

/** A `close` event; where the runtime has no CloseEvent class, a plain Event carrying the same fields. */
function closeEvent(code: number, reason: string): Event {
  if (typeof CloseEvent === 'function') return new CloseEvent('close', { code, reason });
  return Object.assign(new Event('close'), { code, reason, wasClean: false });
}
