import { SpoolErrorCode, type StreamEventBody, type Usage } from '@spool/shared';
import type { Logger } from 'pino';
import { StoreError } from '../store/errors.ts';
import type { StreamStore } from '../store/types.ts';
import type { ChatMessage, ModelProvider } from './provider.ts';

export interface GenerationJob {
  streamId: string;
  conversationId: string;
  messageId: string;
  model: string;
  messages: ChatMessage[];
}

export interface GenerationDeps {
  store: StreamStore;
  provider: ModelProvider;
  log: Logger;
  /** The generator's lease; renewed at a third of it while the model is silent. */
  leaseMs: number;
}

/** Why a generation was stopped from outside: the reason given to its AbortController. */
export type StopReason = 'cancelled' | 'shutdown';

/**
 * Streams one answer into the store: `start`, the tokens, then exactly one terminal event, whatever
 * happens. `stop` aborts it: on 'cancelled' it ends with `done` (finishReason 'cancelled'), on
 * 'shutdown' with a retryable error. Never throws: failures become the terminal event, or a log line
 * when the stream itself is gone.
 */
export async function runGeneration(job: GenerationJob, deps: GenerationDeps, stop: AbortSignal): Promise<void> {
  const { store, provider, log } = deps;
  const { streamId } = job;
  const renewal = setInterval(() => {
    store.renewLease(streamId).catch((error: unknown) => log.warn({ err: error, streamId }, 'lease renewal failed'));
  }, deps.leaseMs / 3);
  try {
    await store.append(streamId, {
      type: 'start',
      streamId,
      conversationId: job.conversationId,
      messageId: job.messageId,
      model: job.model,
    });
    let usage: Usage | null = null;
    let finishReason: (StreamEventBody & { type: 'done' })['finishReason'] = 'stop';
    for await (const chunk of provider.stream({ model: job.model, messages: job.messages, signal: stop })) {
      if (chunk.type === 'text') {
        if (chunk.text) await store.append(streamId, { type: 'token', text: chunk.text });
      } else {
        usage = chunk.usage;
        finishReason = chunk.finishReason;
      }
    }
    await store.append(streamId, { type: 'done', finishReason, usage });
  } catch (error) {
    await endAfterFailure(job, deps, stop, error);
  } finally {
    clearInterval(renewal);
  }
}

async function endAfterFailure(job: GenerationJob, deps: GenerationDeps, stop: AbortSignal, error: unknown) {
  const { streamId } = job;
  if (error instanceof StoreError && error.code !== SpoolErrorCode.storeUnavailable) {
    // The stream ended or vanished under us: there is nowhere left to write to.
    deps.log.error({ err: error, streamId }, 'generation stopped: its stream is gone or already ended');
    return;
  }
  const terminal = terminalFor(stop, error);
  if (terminal.type === 'error') deps.log.error({ err: error, streamId }, 'generation failed');
  try {
    await deps.store.append(streamId, terminal);
  } catch (appendError) {
    // Readers will end the stream with GENERATOR_LOST once the lease lapses.
    deps.log.error({ err: appendError, streamId }, 'could not append the terminal event');
  }
}

function terminalFor(stop: AbortSignal, error: unknown): StreamEventBody {
  if (stop.aborted && stop.reason === 'cancelled') return { type: 'done', finishReason: 'cancelled', usage: null };
  if (stop.aborted && stop.reason === 'shutdown') {
    return {
      type: 'error',
      code: SpoolErrorCode.shuttingDown,
      message: 'the server stopped while generating; send the message again',
      retryable: true,
    };
  }
  if (error instanceof StoreError) {
    return { type: 'error', code: error.code, message: error.message, retryable: true };
  }
  return {
    type: 'error',
    code: SpoolErrorCode.providerError,
    message: 'the model failed to answer',
    retryable: true,
  };
}
