/**
 * Which transport 'auto' takes: 'ws' if a WebSocket to the server opens within `timeoutMs`, 'sse'
 * if it does not while the server answers HTTP (a proxy that refuses the upgrade, say), and
 * undefined if nothing answers at all: the server is down, and the choice is to be made again later.
 */
export async function probeTransport(
  WebSocket: typeof globalThis.WebSocket,
  url: string,
  timeoutMs: number,
): Promise<'ws' | 'sse' | undefined> {
  if (await webSocketOpens(WebSocket, url, timeoutMs)) return 'ws';
  try {
    await fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(timeoutMs) });
    return 'sse';
  } catch {
    return undefined;
  }
}

/** Whether a WebSocket opens within `timeoutMs`; the socket is closed either way. Never rejects. */
function webSocketOpens(WebSocket: typeof globalThis.WebSocket, url: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let socket: WebSocket;
    try {
      socket = new WebSocket(url.replace(/^http/, 'ws'));
    } catch {
      resolve(false);
      return;
    }
    const finish = (opened: boolean) => {
      clearTimeout(timer);
      socket.onopen = socket.onclose = null;
      // Closing a socket still connecting fires 'error', which the `ws` package throws when nobody listens.
      socket.onerror = () => {};
      socket.close();
      resolve(opened);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.onopen = () => finish(true);
    socket.onerror = () => finish(false);
    socket.onclose = () => finish(false);
  });
}
