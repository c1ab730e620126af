import { type FinishReason, SpoolErrorCode, type Usage } from '@spool/shared';
import OpenAI from 'openai';
import type { GenerationRequest, ModelProvider, ProviderChunk } from './provider.ts';
import { ProviderError } from './provider-error.ts';
import { StreamWatchdog, type WatchdogTimes } from './stream-watchdog.ts';

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

  constructor(options: OpenAIProviderOptions) {
    this.defaultModel = options.defaultModel;
    this.models = [...new Set([options.defaultModel, ...options.models])];
    this.#times = { firstTokenMs: options.firstTokenMs, idleMs: options.idleMs };
    // The client's retries (with backoff, honouring retry-after) happen before the response streams,
    // so before any token: safe. The watchdog bounds them by the first-token budget.
    this.#client = new OpenAI({
      apiKey: options.apiKey ?? 'not-needed',
      baseURL: options.baseURL,
      maxRetries: options.maxRetries,
      logLevel: 'off',
    });
  }

  async *stream(request: GenerationRequest): AsyncGenerator<ProviderChunk> {
    const watchdog = new StreamWatchdog(request.signal, this.#times);
    let streaming = false;
    try {
      const stream = await this.#client.chat.completions.create(
        {
          model: request.model,
          messages: request.messages,
          stream: true,
          stream_options: { include_usage: true },
        },
        { signal: watchdog.signal },
      );
      streaming = true;
      let finishReason: FinishReason = 'stop';
      let usage: Usage | null = null;
      for await (const chunk of stream) {
        const choice = chunk.choices[0];
        const text = choice?.delta?.content ?? '';
        watchdog.sawChunk(text !== '');
        if (text !== '') yield { type: 'text', text };
        if (choice?.finish_reason) finishReason = finishReasonOf(choice.finish_reason);
        if (chunk.usage) usage = usageOf(chunk.usage);
      }
      // An aborted stream (timeout, cancel) may end its iteration quietly instead of throwing.
      watchdog.signal.throwIfAborted();
      yield { type: 'finish', finishReason, usage };
    } catch (error) {
      if (request.signal.aborted) throw error; // cancel or shutdown: the caller knows why
      throw watchdog.explain() ?? providerErrorOf(error, streaming);
    } finally {
      watchdog.stop();
    }
  }
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

/** What an upstream failure means for the watchers. */
function providerErrorOf(error: unknown, streaming: boolean): ProviderError {
  const detail = error instanceof Error ? error.message : String(error);
  const fail = (code: SpoolErrorCode, message: string, retryAfterMs?: number) =>
    new ProviderError(code, message, { cause: error, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
  if (error instanceof OpenAI.AuthenticationError || error instanceof OpenAI.PermissionDeniedError) {
    return fail(SpoolErrorCode.providerAuth, `the model provider refused Spool's credentials (${error.status})`);
  }
  if (error instanceof OpenAI.NotFoundError) return fail(SpoolErrorCode.modelNotFound, `the model provider: ${detail}`);
  if (error instanceof OpenAI.RateLimitError) {
    return fail(
      SpoolErrorCode.providerRateLimited,
      'the model provider is rate limiting; try again later',
      retryAfterMsOf(error.headers),
    );
  }
  if (error instanceof OpenAI.BadRequestError || error instanceof OpenAI.UnprocessableEntityError) {
    return fail(SpoolErrorCode.providerRejected, `the model provider refused the request: ${detail}`);
  }
  if (error instanceof OpenAI.APIConnectionError) {
    return fail(SpoolErrorCode.providerConnectionLost, 'could not reach the model provider');
  }
  if (error instanceof OpenAI.APIError && typeof error.status === 'number') {
    return fail(SpoolErrorCode.providerError, `the model provider failed (${error.status})`);
  }
  if (error instanceof SyntaxError || error instanceof OpenAI.APIError) {
    // A chunk that is not JSON, or an error object inside the stream.
    return fail(SpoolErrorCode.providerBadResponse, `the model provider sent a malformed stream: ${detail}`);
  }
  if (streaming)
    return fail(SpoolErrorCode.providerConnectionLost, 'the connection to the model provider was cut mid-answer');
  return fail(SpoolErrorCode.providerError, `the model provider failed: ${detail}`);
}

/** `retry-after-ms` (OpenAI's) or `retry-after` in seconds or as an HTTP date. */
function retryAfterMsOf(headers: Headers | undefined): number | undefined {
  const ms = Number(headers?.get('retry-after-ms'));
  if (Number.isFinite(ms) && ms > 0) return Math.round(ms);
  const value = headers?.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.round(seconds * 1000));
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
