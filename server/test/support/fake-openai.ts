import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** How the fake answers one request. Unset fields: a normal, immediate answer. */
export interface Reply {
  /** Non-200: an error response with an OpenAI-style error body. */
  status?: number;
  headers?: Record<string, string>;
  /** Non-200: the response body instead of an OpenAI-style error object. */
  errorBody?: string;
  tokens?: string[];
  /** Pause before the response headers. */
  headersDelayMs?: number;
  /** Pause after the role chunk, before the first token. */
  firstTokenDelayMs?: number;
  /** Pause before each token after the first. */
  tokenDelayMs?: number;
  finishReason?: string;
  /** Send the tokens, then hang without ending (until the client goes away). */
  hangAfterTokens?: number;
  /** Send this many tokens, then destroy the connection. */
  cutAfterTokens?: number;
  /** Send this many tokens, then a chunk that is not JSON. */
  malformedAfterTokens?: number;
  /** Send this many tokens, then an error object inside the stream, and end. */
  errorAfterTokens?: number;
  /** Send this many tokens, then end the response cleanly, without a finish chunk or `[DONE]`. */
  endAfterTokens?: number;
  /** Send the usage in a chunk without a `choices` field (some compatible servers do). */
  usageWithoutChoices?: boolean;
}

export interface ChatRequestBody {
  model: string;
  messages: { role: string; content: string }[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
}

export interface FakeOpenAI {
  /** For `OPENAI_BASE_URL`. */
  baseURL: string;
  /** Replies for the next requests, in order; after them, normal answers. */
  reply(...replies: Reply[]): void;
  /** Every request body received. */
  readonly requests: ChatRequestBody[];
  /** Requests whose response has not ended (a hung or slow answer still streaming). */
  readonly open: number;
  /** TCP connections accepted so far. */
  readonly connections: number;
  close(): Promise<void>;
}

/**
 * An OpenAI-compatible chat completions server over real HTTP, speaking the real streaming format
 * (SSE `data:` chunks, usage on the last chunk, `[DONE]`), scripted per request, on port 0. Tests
 * use it through `startFakeOpenAI` (closed with the test); the benchmark directly.
 */
export async function startFakeOpenAI(): Promise<FakeOpenAI> {
  const queue: Reply[] = [];
  const requests: ChatRequestBody[] = [];
  /** Bodies kept for tests to inspect; a long benchmark run keeps only the latest. */
  const keptRequests = 1_000;
  const sockets = new Set<Socket>();
  let open = 0;
  let connections = 0;
  const server = createServer((request, response) => {
    open++;
    response.once('close', () => open--);
    if (requests.length >= keptRequests) requests.splice(0, requests.length - keptRequests + 1);
    handle(request, response, queue.shift() ?? {}, requests).catch((error: unknown) => {
      response.destroy(error instanceof Error ? error : new Error(String(error)));
    });
  });
  // No Keep-Alive hint and no idle timeout, as providers behind load balancers often do: how long an
  // idle connection is kept is then the client's choice alone.
  server.keepAliveTimeout = 0;
  server.on('connection', (socket) => {
    connections++;
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    reply: (...replies) => queue.push(...replies),
    requests,
    get open() {
      return open;
    },
    get connections() {
      return connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

async function handle(request: IncomingMessage, response: ServerResponse, reply: Reply, requests: ChatRequestBody[]) {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ChatRequestBody;
  requests.push(body);
  if (reply.status !== undefined && reply.status !== 200) {
    response.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
    response.end(
      reply.errorBody ??
        JSON.stringify({ error: { message: `scripted ${reply.status}`, type: 'scripted', code: null } }),
    );
    return;
  }
  if (reply.headersDelayMs) await sleep(reply.headersDelayMs);
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...reply.headers });
  const tokens = reply.tokens ?? ['Hello', ' from', ' the', ' fake', ' model.'];
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
    `data: ${JSON.stringify({ id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 0, model: body.model, choices, ...extra })}\n\n`;
  const closed = () => response.destroyed;
  // Each chunk is on the wire before the next step, so a cut or a hang comes after what was sent.
  const send = (data: string) => new Promise<void>((resolve) => response.write(data, () => resolve()));
  await send(chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]));
  if (reply.firstTokenDelayMs) await sleep(reply.firstTokenDelayMs);
  for (const [i, text] of tokens.entries()) {
    if (closed()) return;
    if (i === reply.cutAfterTokens) return void response.socket?.destroy();
    if (i === reply.malformedAfterTokens) return void response.end('data: {not json\n\n');
    if (i === reply.hangAfterTokens) return; // the response stays open until the client leaves
    if (i === reply.endAfterTokens) return void response.end();
    if (i === reply.errorAfterTokens) {
      return void response.end(
        `data: ${JSON.stringify({ error: { message: 'server overloaded', type: 'server_error' } })}\n\n`,
      );
    }
    if (i > 0 && reply.tokenDelayMs) await sleep(reply.tokenDelayMs);
    await send(chunk([{ index: 0, delta: { content: text }, finish_reason: null }]));
  }
  if (reply.hangAfterTokens !== undefined && reply.hangAfterTokens >= tokens.length) return;
  await send(chunk([{ index: 0, delta: {}, finish_reason: reply.finishReason ?? 'stop' }]));
  if (body.stream_options?.include_usage) {
    const completion = tokens.length;
    response.write(
      chunk([], { usage: { prompt_tokens: 7, completion_tokens: completion, total_tokens: 7 + completion } }),
    );
  }
  response.end('data: [DONE]\n\n');
}
