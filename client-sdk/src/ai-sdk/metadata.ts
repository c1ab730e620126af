import type { FinishReason, Timings, Usage } from '@spool/shared';
import type { FinishReason as UIFinishReason, UIMessage } from 'ai';
import type { SpoolClientErrorCode } from '../errors.ts';

/**
 * What the transport puts in an assistant message's `metadata`: which Spool answer it is (to cancel
 * it, link to it, or read it again), and how it ended, in Spool's own terms.
 */
export interface SpoolMessageMetadata {
  conversationId: string;
  streamId: string;
  model: string;
  /** Spool's finish reason, once the answer is done ('cancelled' included, which the AI SDK has no reason for). */
  finishReason?: FinishReason;
  usage?: Usage | null;
  timings?: Timings;
  /** Once the answer (or the connection to it) failed: Spool's code, and whether trying again can succeed. */
  error?: { code: SpoolClientErrorCode; retryable: boolean; retryAfterMs?: number };
}

/** The parts of data the transport streams: `progress` events, as transient parts (they reach `onData` only). */
export type SpoolDataTypes = {
  'spool-progress': { stage: string; fraction?: number };
};

/** A `UIMessage` with the transport's metadata and data parts typed, for `useChat<SpoolUIMessage>`. */
export type SpoolUIMessage = UIMessage<SpoolMessageMetadata, SpoolDataTypes>;

/**
 * Spool's finish reason as the AI SDK names it. 'cancelled' has no `finish` equivalent: the
 * transport ends a cancelled answer with an `abort` chunk, as the AI SDK's own streams do.
 */
export function uiFinishReason(reason: Exclude<FinishReason, 'cancelled'>): UIFinishReason {
  switch (reason) {
    case 'stop':
    case 'length':
      return reason;
    case 'content_filter':
      return 'content-filter';
    case 'tool_calls':
      return 'tool-calls';
  }
}
