/**
 * Whether a WebSocket to the server opens within `timeoutMs`; the socket is closed either way.
 * It never rejects: any failure, a malformed URL included, means "take SSE", whose own requests
 * then report what is wrong.
 */
export function probeWebSocket(url: string, timeoutMs: number): Promise<boolean> {
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
      socket.onopen = socket.onerror = socket.onclose = null;
      socket.close();
      resolve(opened);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.onopen = () => finish(true);
    socket.onerror = () => finish(false);
    socket.onclose = () => finish(false);
  });
}
