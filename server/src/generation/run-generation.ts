import {
  isRetryableErrorCode,
  limits,
  SpoolErrorCode,
  type StreamEventBody,
  streamEventBodySchema,
  type TerminalEvent,
  type TerminalEventBody,
  type Timings,
  type Usage,
  wellFormedText,
} from '@spool/shared';
import type { Logger } from 'pino';
import type { FinalWriter } from '../answers/final-writer.ts';
import type { HistoryCache } from '../answers/history-cache.ts';
import { finalAnswerOf } from '../answers/outcome.ts';
import { AnswerRecorder } from '../answers/replay.ts';
import { ConversationNotFoundError } from '../db/errors.ts';
import { SpoolError } from '../errors.ts';
import type { SpoolMetrics } from '../metrics/spool-metrics.ts';
import { StoreError, StreamEndedError, StreamNotFoundError } from '../store/errors.ts';
import type { StreamStore } from '../store/types.ts';
import type { UserLeases } from '../store/user-leases.ts';
import { reportAnswerEnd, storeWriteObserver } from './answer-report.ts';
import type { ChatMessage, ModelProvider } from './provider.ts';
import { ProviderError } from './provider-error.ts';
import { restoreLog } from './restore-log.ts';
import { StreamAppender } from './stream-appender.ts';

/** Events a generation may have on their way to the log before it waits for the store. */
const maxQueuedEvents = 256;

export interface GenerationJob {
  streamId: string;
  conversationId: string;
  /** False for a conversation this message creates: it has no history to load. */
  existingConversation: boolean;
  ownerId: string;
  userMessageId: string;
  /** The assistant message the answer is saved as. */
  messageId: string;
  model: string;
  prompt: string;
  /**
   * Settles when `sendMessage`'s write does: true once the user message and this answer's
   * placeholder are committed, false if they never will be. The final write waits for it.
   */
  exchangeSaved: Promise<boolean>;
}

export interface GenerationDeps {
  store: StreamStore;
  provider: ModelProvider;
  history: HistoryCache;
  finals: FinalWriter;
  /** The user's lease on one of their concurrent generations, refreshed with the stream's. */
  userLeases: UserLeases;
  log: Logger;
  /** The generator's lease; renewed at a third of it while the model is silent. */
  leaseMs: number;
  /** Counts each answer's end and its writes to the store; unset: nothing is counted. */
  metrics?: SpoolMetrics | undefined;
}

/** Why a generation was stopped from outside: the reason given to its AbortController. */
export type StopReason = 'cancelled' | 'shutdown' | 'rejected';

/**
 * Streams one answer into the store: `start`, the tokens, then the final message is saved and
 * exactly one terminal event appended, whatever happens. `stop` aborts it: 'cancelled' ends it with
 * `done` (finishReason 'cancelled'), 'shutdown' with a retryable error, 'rejected' (its user message
 * could not be saved) with an error and nothing saved. `finalStop` gives up a final write the
 * database keeps refusing; `releaseLease` gives the user's lease back, sent with the terminal event.
 * Never throws: failures become the terminal event, or a log line when the stream itself is gone.
 */
export async function runGeneration(
  job: GenerationJob,
  deps: GenerationDeps,
  stop: AbortSignal,
  finalStop: AbortSignal,
  releaseLease: () => Promise<void>,
): Promise<void> {
  const { store, log } = deps;
  const { streamId } = job;
  const recorder = new AnswerRecorder();
  const startedAt = performance.now();
  let firstTokenAt: number | null = null;
  const appender = new StreamAppender({
    store,
    streamId,
    maxQueued: maxQueuedEvents,
    nextIndex: 1,
    onAppended: (event) => {
      recorder.record(event);
      if (event.type === 'token') firstTokenAt ??= performance.now();
    },
    // A store that restarted empty under this answer gets its log back, as it was, and the answer goes on.
    restore: () => restoreLog(job, deps, recorder),
    outageMs: deps.leaseMs,
    onWrite: deps.metrics && storeWriteObserver(deps.metrics),
  });
  // Where a provider's output enters Spool: validated here, once; the store and the readers trust it.
  const append = (body: StreamEventBody) => appender.write(streamEventBodySchema.parse(body));
  const renewal = setInterval(() => {
    store.renewLease(streamId).catch((error: unknown) => log.warn({ err: error, streamId }, 'lease renewal failed'));
    deps.userLeases
      .refresh(job.ownerId, streamId)
      .catch((error: unknown) => log.warn({ err: error, streamId }, 'user lease renewal failed'));
  }, deps.leaseMs / 3);
  try {
    let terminal: TerminalEventBody;
    try {
      // The start event is in the log already, put there with the stream (`AnswerStarts`).
      recorder.record({ ...startEventOf(job), index: 0 });
      const context = await contextFor(job, deps);
      terminal = await streamAnswer(job, deps, stop, context, append);
      await appender.flush();
    } catch (thrown) {
      // What is still on its way to the log lands (or fails) before the terminal event is decided;
      // a store that failed is the cause that matters, whatever else went wrong meanwhile.
      const error =
        (await appender.flush().then(
          () => undefined,
          (storeFailure: unknown) => storeFailure,
        )) ?? thrown;
      if (error instanceof StreamNotFoundError) {
        // The log vanished under us (the store restarted empty): what was streamed is saved all the same.
        log.error({ err: error, streamId }, 'generation stopped: its log vanished; saving the answer so far');
        terminal = logLostEvent;
      } else if (error instanceof StoreError && error.code !== SpoolErrorCode.storeUnavailable) {
        // The stream was ended by someone else: it has its one terminal event already.
        log.error({ err: error, streamId }, 'generation stopped: its stream is gone or already ended');
        return;
      } else terminal = terminalFor(stop, error);
      if (terminal.type === 'error' && !stop.aborted) log.warn({ err: error, streamId }, 'generation failed');
    }
    const timings = timingsSince(startedAt, firstTokenAt);
    if (terminal.type === 'done') terminal = { ...terminal, timings };
    await finish(job, deps, { recorder, terminal, finalStop, releaseLease });
    reportAnswerEnd(job, deps, { terminal, timings, tokens: recorder.tokens });
  } finally {
    clearInterval(renewal);
  }
}

/** The event an answer's stream starts with: `sendMessage` creates the stream with it. */
export function startEventOf(
  job: Pick<GenerationJob, 'streamId' | 'conversationId' | 'messageId' | 'model'>,
): Extract<StreamEventBody, { type: 'start' }> {
  const { streamId, conversationId, messageId, model } = job;
  return { type: 'start', streamId, conversationId, messageId, model };
}

async function streamAnswer(
  job: GenerationJob,
  deps: GenerationDeps,
  stop: AbortSignal,
  messages: ChatMessage[],
  appendToken: (body: StreamEventBody) => Promise<void>,
): Promise<Extract<TerminalEventBody, { type: 'done' }>> {
  let usage: Usage | null = null;
  let finishReason: (StreamEventBody & { type: 'done' })['finishReason'] = 'stop';
  for await (const chunk of deps.provider.stream({ model: job.model, messages, signal: stop })) {
    if (chunk.type === 'text') {
      if (chunk.text) await appendToken({ type: 'token', text: chunk.text });
    } else {
      usage = chunk.usage;
      finishReason = chunk.finishReason;
    }
  }
  // A provider that ends quietly when stopped has not finished its answer.
  stop.throwIfAborted();
  return { type: 'done', finishReason, usage };
}

/** The conversation's recent messages, then the new one. Checks that the caller owns the conversation. */
async function contextFor(job: GenerationJob, deps: GenerationDeps): Promise<ChatMessage[]> {
  const prompt: ChatMessage = { role: 'user', content: job.prompt };
  if (!job.existingConversation) return [prompt];
  const history = await deps.history.load(job.conversationId);
  if (!history || history.ownerId !== job.ownerId) throw new ConversationNotFoundError(job.conversationId);
  // On a cache miss the database may already hold this very message: it goes last, once.
  const earlier = history.messages.filter((message) => message.id !== job.userMessageId);
  return [...earlier.map(({ role, content }) => ({ role, content })), prompt];
}

interface Ending {
  recorder: AnswerRecorder;
  terminal: TerminalEventBody;
  finalStop: AbortSignal;
  /** Gives the user's lease back (once, however often called). */
  releaseLease: () => Promise<void>;
}

/** Saves the final message, then appends the terminal event: a client that sees the end finds the message saved. */
async function finish(job: GenerationJob, deps: GenerationDeps, ending: Ending): Promise<void> {
  const { streamId } = job;
  const { recorder } = ending;
  // A fast answer can end before its placeholder is committed; one that never will be has nothing to update.
  if (await job.exchangeSaved) {
    const terminal = { ...ending.terminal, index: recorder.nextIndex } as TerminalEvent;
    recorder.record(terminal);
    const answer = finalAnswerOf(job.messageId, recorder.answer(), terminal);
    try {
      // Beside the log first: if this process stops before the save, whoever ends the stream ends it
      // as the answer ended, and recovery saves it from the log. Only a safety net: the save below
      // needs nothing of the store, and goes ahead when the store is away or has lost the log.
      await deps.store.setFinalEvent(streamId, ending.terminal).catch((error: unknown) => {
        deps.log.warn({ err: error, streamId }, 'could not keep the final event beside the log; saving it anyway');
      });
      const question = { id: job.userMessageId, content: job.prompt };
      const write = { streamId, conversationId: job.conversationId, question, answer };
      // Stopped: recovery ends and saves it; saved elsewhere: recovery did both already.
      if ((await deps.finals.save(write, ending.finalStop)) !== 'saved') return;
    } catch (error) {
      // Not the database being away (that is retried): the message stays `streaming` for recovery to settle.
      deps.log.error({ err: error, streamId }, 'could not save the final answer');
    }
  }
  try {
    const appended = deps.store.append(streamId, ending.terminal);
    // In the same write as the terminal event: the user's place is free once the answer has ended.
    void ending.releaseLease();
    await appended;
  } catch (error) {
    if (error instanceof StreamNotFoundError) {
      // The log is gone; the answer is saved, and readers replay it from the database.
      deps.log.warn({ streamId }, 'the log vanished before the terminal event; the answer is saved');
      return;
    }
    if (error instanceof StreamEndedError) {
      // Recovery ended it with this same terminal event while we retried the save (or a reader did,
      // with GENERATOR_LOST, after our lease lapsed): either way it has its one terminal event.
      deps.log.warn({ streamId }, 'the stream was already ended');
      return;
    }
    // Readers end the stream with GENERATOR_LOST once the lease lapses.
    deps.log.error({ err: error, streamId }, 'could not append the terminal event');
  }
}

/** How an answer ends whose log vanished while it was written: its text so far is saved with it. */
const logLostEvent: TerminalEventBody = {
  type: 'error',
  code: SpoolErrorCode.streamLost,
  message: "the answer's log was lost mid-answer (the stream store restarted); the text so far is saved",
  retryable: false,
};

function timingsSince(startedAt: number, firstTokenAt: number | null): Timings {
  // Milliseconds, to a tenth.
  const since = (at: number) => Math.round((at - startedAt) * 10) / 10;
  return { firstTokenMs: firstTokenAt === null ? null : since(firstTokenAt), durationMs: since(performance.now()) };
}

function terminalFor(stop: AbortSignal, error: unknown): TerminalEventBody {
  if (stop.aborted && stop.reason === 'cancelled') return { type: 'done', finishReason: 'cancelled', usage: null };
  if (stop.aborted && stop.reason === 'shutdown') {
    return {
      type: 'error',
      code: SpoolErrorCode.shuttingDown,
      message: 'the server stopped while generating; send the message again',
      retryable: true,
    };
  }
  // Messages are bounded by the event schema; an upstream's words are cut to fit, never the event lost,
  // and made well-formed after the cut (which may split a surrogate pair), as every event's text is.
  const message = (text: string) => wellFormedText(text.slice(0, limits.maxMessageChars));
  if (error instanceof SpoolError) {
    const { code } = error;
    const retryAfterMs = error instanceof ProviderError ? error.retryAfterMs : undefined;
    const retryAfter = retryAfterMs === undefined ? {} : { retryAfterMs };
    return {
      type: 'error',
      code,
      message: message(error.message),
      retryable: isRetryableErrorCode(code),
      ...retryAfter,
    };
  }
  return {
    type: 'error',
    code: SpoolErrorCode.providerError,
    message: 'the model failed to answer',
    retryable: true,
  };
}
