import { existsSync } from 'node:fs';
import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import { join, relative, sep } from 'node:path';
import type { Logger } from 'pino';
import serveStatic from 'serve-static';

export type StaticHandler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * The chat page's built files (`web/`), read from disk at each request, so that a rebuild shows
 * at the next reload. Where they are missing, a 404 that says how to build them. Vite's hashed
 * assets are cached for good; index.html is revalidated, since it names the current ones.
 */
export function chatPageHandler(webDir: string | undefined, log: Logger): StaticHandler {
  if (!webDir) return (_req, res) => answer(res, 404, 'not found\n');
  const assets = `assets${sep}`;
  const serve = serveStatic(webDir, {
    index: ['index.html'],
    setHeaders(res, path) {
      const hashed = relative(webDir, path).startsWith(assets);
      res.setHeader('cache-control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  return (req, res) => {
    serve(req, res, (error?: unknown) => {
      if (!error) {
        return answer(res, 404, chatPageBuilt(webDir) ? 'not found\n' : notBuilt);
      }
      const status = (error as { statusCode?: number }).statusCode ?? 500;
      // 412, 416: the request's own conditions or range; nothing went wrong here.
      if (status < 500) return answer(res, status, `${STATUS_CODES[status] ?? 'bad request'}\n`);
      log.error({ err: error, url: req.url }, 'the chat page could not be served');
      if (res.headersSent) res.destroy();
      else answer(res, 500, 'the chat page could not be read\n');
    });
  };
}

/** Whether the page has been built into `webDir`. */
export function chatPageBuilt(webDir: string): boolean {
  return existsSync(join(webDir, 'index.html'));
}

const notBuilt = 'The chat page is not built. Run `npm run build -w @spool/web` (npm start does it), then reload.\n';

function answer(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain' }).end(text);
}
