import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { onTestFinished } from 'vitest';

/**
 * An HTTP proxy on port 0 that passes requests (SSE included) to `target` and refuses every
 * WebSocket upgrade, as some corporate proxies do; closed when the test finishes. Returns the
 * tRPC URL through it. While `badGateway()` says so, it answers 502 instead.
 */
export async function startHttpOnlyProxy(target: URL, options: { badGateway?: () => boolean } = {}): Promise<string> {
  const proxy = http.createServer((req, res) => {
    // A gateway whose upstream is away for a moment (a deploy): 502 with its own page.
    if (options.badGateway?.()) {
      res.writeHead(502, { 'content-type': 'text/html' }).end('<h1>502 Bad Gateway</h1>');
      return;
    }
    const upstream = http.request(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
      (response) => {
        res.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(res);
      },
    );
    upstream.once('error', () => res.destroy());
    res.once('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  proxy.on('upgrade', (_req, socket) => socket.end('HTTP/1.1 403 Forbidden\r\nconnection: close\r\n\r\n'));
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        proxy.closeAllConnections();
        proxy.close(() => resolve());
      }),
  );
  const { port } = proxy.address() as AddressInfo;
  return `http://127.0.0.1:${port}${target.pathname}`;
}
