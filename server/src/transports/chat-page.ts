import { existsSync } from 'node:fs';
import type http from 'node:http';
import { join } from 'node:path';
import type { Logger } from 'pino';
import sirv from 'sirv';

export type StaticHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/**
 * The chat page's built files (`web/`), or, where they are missing, a page that says how to build
 * them. Hashed assets are cached for good; index.html is revalidated.
 */
export function chatPageHandler(webDir: string | undefined, log: Logger): StaticHandler {
  if (webDir && existsSync(join(webDir, 'index.html'))) {
    return sirv(webDir, { etag: true, immutable: true });
  }
  if (webDir) log.warn({ webDir }, 'the chat page is not built (npm run build -w @spool/web): / explains how');
  return (_req, res) => {
    res
      .writeHead(404, { 'content-type': 'text/plain' })
      .end(
        webDir
          ? 'The chat page is not built. Run `npm run build -w @spool/web` (npm start does it), then reload.\n'
          : 'not found\n',
      );
  };
}
