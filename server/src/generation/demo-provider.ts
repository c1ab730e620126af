import { setTimeout as sleep } from 'node:timers/promises';
import type { GenerationRequest, ModelProvider, ProviderChunk } from './provider.ts';

export const demoModel = 'spool-demo (built-in demo, not an LLM)';

const script = (
  'This answer comes from the built-in demo model, so that Spool streams without an API key. ' +
  'Each token you see was appended to an ordered log, then pushed to every watcher over WebSocket or SSE. ' +
  'Drop the connection and come back, on this server or another one: the stream resumes at the exact ' +
  'event where it stopped, with nothing lost and nothing twice. '
).split(/(?<= )/);

export interface DemoOptions {
  tokens: number;
  /** 0: no pause between tokens. */
  tokensPerSecond: number;
}

/**
 * The embedded default's model: deterministic text (the same prompt gives the same answer), at a set
 * rate, so Spool streams with no API key and tests can predict every token.
 */
export class DemoProvider implements ModelProvider {
  readonly defaultModel = demoModel;
  readonly models = [demoModel];
  readonly #options: DemoOptions;

  constructor(options: DemoOptions) {
    this.#options = options;
  }

  async *stream(request: GenerationRequest): AsyncGenerator<ProviderChunk> {
    const prompt = request.messages.at(-1)?.content ?? '';
    const tokens = demoTokens(prompt, this.#options.tokens);
    const pauseMs = this.#options.tokensPerSecond > 0 ? 1000 / this.#options.tokensPerSecond : 0;
    for (const [i, text] of tokens.entries()) {
      if (i > 0 && pauseMs > 0) await sleep(pauseMs, undefined, { signal: request.signal });
      request.signal.throwIfAborted();
      yield { type: 'text', text };
    }
    const promptTokens = prompt.split(/\s+/).filter(Boolean).length;
    yield {
      type: 'finish',
      finishReason: 'stop',
      usage: { promptTokens, completionTokens: tokens.length, totalTokens: promptTokens + tokens.length },
    };
  }
}

/** The demo answer to `prompt`, as tokens: an echo of the prompt, then the demo script, word by word, cycling. */
export function demoTokens(prompt: string, count: number): string[] {
  const tokens = [`(demo) You said: "${prompt.slice(0, 60)}". `];
  for (let i = 0; tokens.length < count; i++) tokens.push(script[i % script.length] as string);
  return tokens;
}
