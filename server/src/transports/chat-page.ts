import type http from 'node:http';
import type { Logger } from 'pino';
import serveStatic from 'serve-static';

export type StaticHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/**
 * The chat page's built files (`web/`), read from disk at each request, so that a rebuild shows
 * at the next reload. Where they are missing, a page that says how to build them. Vite's hashed
 * assets are cached for good; index.html is revalidated, since it names the current ones.
 */
export function chatPageHandler(webDir: string | undefined, log: Logger): StaticHandler {
  const serve = webDir
    ? serveStatic(webDir, {
        index: ['index.html'],
        setHeaders(res, path) {
          const hashed = path.includes('/assets/');
          res.setHeader('cache-control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
        },
      })
    : undefined;
  return (req, res) => {
    if (!serve) return notFound(res, 'not found\n');
    serve(req, res, (error?: unknown) => {
      if (!error) return notFound(res, notBuilt);
      log.error({ err: error, url: req.url }, 'the chat page could not be served');
      res.writeHead(500, { 'content-type': 'text/plain' }).end('the chat page could not be read\n');
    });
  };
}

const notBuilt =
  'Not found. If you were looking for the chat page: it is not built. Run `npm run build -w @spool/web` (npm start does it), then reload.\n';

function notFound(res: http.ServerResponse, text: string): void {
  res.writeHead(404, { 'content-type': 'text/plain' }).end(text);
}
