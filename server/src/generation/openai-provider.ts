import { setTimeout as sleep } from 'node:timers/promises';
import { type FinishReason, SpoolErrorCode, type Usage } from '@spool/shared';
import OpenAI from 'openai';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { Agent, fetch as undiciFetch } from 'undici';
import type { GenerationRequest, ModelProvider, ProviderChunk } from './provider.ts';
import { ProviderError } from './provider-error.ts';
import { StreamWatchdog, type WatchdogTimes } from './stream-watchdog.ts';
import { upstreamFailure } from './upstream-failure.ts';

export interface OpenAIProviderOptions extends WatchdogTimes {
  /** Unset: a placeholder, for local OpenAI-compatible servers that ask for none. */
  apiKey: string | undefined;
  /** Unset: OpenAI's own API. */
  baseURL: string | undefined;
  defaultModel: string;
  /** Models a caller may ask for; the default is always one of them. */
  models: readonly string[];
  /** Retries of a request that failed before streaming began (429, 5xx, connection): never after a token. */
  maxRetries: number;
}

/** First pause between retries; doubled each time unless the provider says how long (retry-after). */
const firstRetryDelayMs = 250;

/**
 * How long an idle connection to the provider is kept for the next answer, unless the server's own
 * Keep-Alive hint says otherwise: fetch's default (4 s) would put a TCP and TLS handshake in front
 * of the first token of any answer after a pause.
 */
const idleKeepAliveMs = 60_000;

/**
 * Chat completions streamed through the `openai` client, from OpenAI or any compatible endpoint
 * (vLLM, Ollama, LM Studio, a gateway). Usage is asked for in the stream. Every failure becomes a
 * `ProviderError` whose code says what happened upstream.
 */
export class OpenAIProvider implements ModelProvider {
  readonly defaultModel: string;
  readonly models: readonly string[];
  readonly #client: OpenAI;
  readonly #times: WatchdogTimes;
  readonly #maxRetries: number;
  /** Connections to the provider, kept open and shared by every answer. */
  readonly #agent = new Agent({ keepAliveTimeout: idleKeepAliveMs });

  constructor(options: OpenAIProviderOptions) {
    this.defaultModel = options.defaultModel;
    this.models = [...new Set([options.defaultModel, ...options.models])];
    this.#times = { firstTokenMs: options.firstTokenMs, idleMs: options.idleMs };
    this.#maxRetries = options.maxRetries;
    // Retries are ours (see #open): the client's own could outlast the first-token budget and then
    // report a timeout instead of the upstream's real answer.
    this.#client = new OpenAI({
      apiKey: options.apiKey ?? 'not-needed',
      baseURL: options.baseURL,
      maxRetries: 0,
      logLevel: 'off',
      fetch: (url, init) =>
        undiciFetch(url as string, { ...(init as object), dispatcher: this.#agent }) as unknown as Promise<Response>,
    });
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }

  async *stream(request: GenerationRequest): AsyncGenerator<ProviderChunk> {
    const watchdog = new StreamWatchdog(request.signal, this.#times);
    let streaming = false;
    try {
      const stream = await this.#open(request, watchdog);
      streaming = true;
      let finishReason: FinishReason | null = null;
      let usage: Usage | null = null;
      for await (const chunk of stream) {
        const choice = chunk.choices?.[0];
        const text = choice?.delta?.content ?? '';
        watchdog.sawChunk(text !== '' || hasOtherOutput(choice?.delta));
        if (text !== '') {
          watchdog.hold();
          yield { type: 'text', text };
          watchdog.resume();
        }
        if (choice?.finish_reason) finishReason = finishReasonOf(choice.finish_reason);
        if (chunk.usage) usage = usageOf(chunk.usage);
      }
      // An aborted stream (timeout, cancel) ends its iteration quietly instead of throwing.
      watchdog.signal.throwIfAborted();
      // So does one whose connection closed cleanly before the answer was over.
      if (finishReason === null) {
        throw new ProviderError(SpoolErrorCode.providerConnectionLost, 'the model provider stopped mid-answer');
      }
      yield { type: 'finish', finishReason, usage };
    } catch (error) {
      if (request.signal.aborted) throw error; // cancel or shutdown: the caller knows why
      if (error instanceof ProviderError) throw error;
      throw watchdog.explain() ?? upstreamFailure(error, streaming);
    } finally {
      watchdog.stop();
    }
  }

  /**
   * Starts the streamed request, retrying failures that may pass (429, 5xx, connection) with backoff
   * while the first-token budget allows: before the response, so before any token.
   */
  async #open(request: GenerationRequest, watchdog: StreamWatchdog): Promise<AsyncIterable<ChatCompletionChunk>> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#client.chat.completions.create(
          { model: request.model, messages: request.messages, stream: true, stream_options: { include_usage: true } },
          { signal: watchdog.signal },
        );
      } catch (error) {
        const failure = watchdog.explain() ?? upstreamFailure(error, false);
        const delayMs = failure.retryAfterMs ?? firstRetryDelayMs * 2 ** attempt;
        const worthIt = failure.retryable && attempt < this.#maxRetries && delayMs < watchdog.firstOutputBudgetLeft;
        if (!worthIt || watchdog.signal.aborted) throw failure;
        await sleep(delayMs, undefined, { signal: watchdog.signal });
      }
    }
  }
}

/** Output other than text that shows the model is at work: reasoning, tool calls. */
function hasOtherOutput(delta: ChatCompletionChunk.Choice.Delta | undefined): boolean {
  if (!delta) return false;
  return Object.entries(delta).some(
    ([key, value]) => key !== 'role' && key !== 'content' && value != null && value !== '',
  );
}

function finishReasonOf(reason: string): FinishReason {
  switch (reason) {
    case 'length':
    case 'content_filter':
    case 'tool_calls':
      return reason;
    default:
      return 'stop'; // 'stop', and the legacy 'function_call'
  }
}

function usageOf(usage: OpenAI.CompletionUsage): Usage {
  return {
    promptTokens: usage.prompt_tokens,
    completionTokens: usage.completion_tokens,
    totalTokens: usage.total_tokens,
  };
}
