import { isTerminalEvent, SpoolErrorCode, type StreamEvent, type TerminalEvent } from '@spool/shared';
import type { FinalAnswer } from '../db/answers.ts';
import { type RecordedAnswer, recordAll } from './replay.ts';

/** The saved form of an answer that ended with `terminal`. */
export function finalAnswerOf(messageId: string, answer: RecordedAnswer, terminal: TerminalEvent): FinalAnswer {
  if (terminal.type === 'error') {
    return { ...answer, messageId, status: 'failed', finishReason: null, usage: null, errorCode: terminal.code };
  }
  return {
    ...answer,
    messageId,
    status: terminal.finishReason === 'cancelled' ? 'cancelled' : 'complete',
    finishReason: terminal.finishReason,
    usage: terminal.usage,
    errorCode: null,
  };
}

/** The saved form of a whole log that ends with its terminal event. */
export function finalAnswerFromLog(messageId: string, events: readonly StreamEvent[]): FinalAnswer {
  const terminal = events.at(-1);
  if (!terminal || !isTerminalEvent(terminal)) throw new Error(`the log of message ${messageId} has not ended`);
  return finalAnswerOf(messageId, recordAll(events), terminal);
}

/** The saved form of an answer whose log vanished before it ended: failed, with one error event to replay. */
export function lostAnswer(messageId: string): FinalAnswer {
  const terminal: TerminalEvent = {
    type: 'error',
    index: 0,
    code: SpoolErrorCode.streamLost,
    message: 'the answer was lost before it was saved; send the message again',
    retryable: false,
  };
  return finalAnswerOf(messageId, { content: '', replay: { tokenLengths: [], events: [terminal] } }, terminal);
}
