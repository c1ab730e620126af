import { z } from 'zod';
import { spoolErrorCodeSchema } from './errors.ts';
import { limits } from './limits.ts';
import { wellFormedString } from './text.ts';

/**
 * The events of one stream. The store assigns `index` at append (0-based, contiguous), so the
 * writer produces an event body (`StreamEventBody`) and every reader gets a full `StreamEvent`.
 */

const index = z.number().int().nonnegative();

const startBody = z.object({
  type: z.literal('start'),
  streamId: z.string(),
  conversationId: z.string(),
  messageId: z.string(),
  model: z.string(),
});

// Text from a model or a generator is normalised where the event is made (`wellFormedText`).
const tokenBody = z.object({
  type: z.literal('token'),
  text: wellFormedString(),
});

const progressBody = z.object({
  type: z.literal('progress'),
  stage: wellFormedString(),
  /** 0..1 when the work knows how far it is. */
  fraction: z.number().min(0).max(1).optional(),
});

const logBody = z.object({
  type: z.literal('log'),
  level: z.enum(['debug', 'info', 'warn', 'error']),
  message: wellFormedString().max(limits.maxMessageChars),
});

export const finishReasonSchema = z.enum(['stop', 'length', 'content_filter', 'tool_calls', 'cancelled']);
export type FinishReason = z.infer<typeof finishReasonSchema>;

export const usageSchema = z.object({
  promptTokens: z.number().int().nonnegative(),
  completionTokens: z.number().int().nonnegative(),
  totalTokens: z.number().int().nonnegative(),
});
export type Usage = z.infer<typeof usageSchema>;

export const timingsSchema = z.object({
  /** From the start of the generation to its first token; null if there was none. */
  firstTokenMs: z.number().nonnegative().nullable(),
  /** From the start of the generation to its end. */
  durationMs: z.number().nonnegative(),
});
export type Timings = z.infer<typeof timingsSchema>;

const doneBody = z.object({
  type: z.literal('done'),
  finishReason: finishReasonSchema,
  usage: usageSchema.nullable(),
  timings: timingsSchema.optional(),
});

const errorBody = z.object({
  type: z.literal('error'),
  code: spoolErrorCodeSchema,
  message: wellFormedString().max(limits.maxMessageChars),
  retryable: z.boolean(),
  /** With PROVIDER_RATE_LIMITED: how long the provider asked to wait, when it said. */
  retryAfterMs: z.number().int().nonnegative().optional(),
});

export const streamEventBodySchema = z.discriminatedUnion('type', [
  startBody,
  tokenBody,
  progressBody,
  logBody,
  doneBody,
  errorBody,
]);
export type StreamEventBody = z.infer<typeof streamEventBodySchema>;

export const streamEventSchema = z.discriminatedUnion('type', [
  startBody.extend({ index }),
  tokenBody.extend({ index }),
  progressBody.extend({ index }),
  logBody.extend({ index }),
  doneBody.extend({ index }),
  errorBody.extend({ index }),
]);
export type StreamEvent = z.infer<typeof streamEventSchema>;
export type StreamEventType = StreamEvent['type'];
export const terminalEventBodySchema = z.discriminatedUnion('type', [doneBody, errorBody]);
export type TerminalEventBody = z.infer<typeof terminalEventBodySchema>;

export type TerminalEvent = Extract<StreamEvent, { type: 'done' | 'error' }>;

export const terminalEventTypes: ReadonlySet<StreamEventType> = new Set<StreamEventType>(['done', 'error']);

export function isTerminalEvent(event: StreamEvent | StreamEventBody): event is TerminalEvent {
  return terminalEventTypes.has(event.type);
}
