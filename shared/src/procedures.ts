import { z } from 'zod';
import { limits } from './limits.ts';
import { wellFormedString } from './text.ts';

/** Names Spool stores and matches (ids, models): PostgreSQL cannot keep a NUL character, so it is refused up front. */
const storableText = z.string().refine((text) => !text.includes('\0'), 'must not contain NUL (\\u0000) characters');

/** Ids Spool makes (UUIDv7); validating them as UUIDs also keeps them safe inside Redis hash tags. */
export const spoolIdSchema = z.uuid();

export const sendMessageInputSchema = z.object({
  conversationId: spoolIdSchema.optional(),
  // A message is text for people and models: normalised, not refused, so what is saved is what was sent.
  content: wellFormedString().trim().min(1).max(limits.maxContentChars),
  clientMessageId: storableText.min(1).max(limits.maxClientIdChars).optional(),
  model: storableText.min(1).max(limits.maxModelChars).optional(),
  useRag: z.boolean().optional(),
});
export type SendMessageInput = z.infer<typeof sendMessageInputSchema>;

export const sendMessageOutputSchema = z.object({
  conversationId: spoolIdSchema,
  userMessageId: spoolIdSchema,
  assistantMessageId: spoolIdSchema,
  streamId: spoolIdSchema,
});
export type SendMessageOutput = z.infer<typeof sendMessageOutputSchema>;

/**
 * `lastEventId` is tRPC's reconnect convention (the id of the last `tracked()` event received):
 * resume at `Number(lastEventId) + 1`. `fromIndex` is the explicit form. Neither: from 0.
 */
export const streamInputSchema = z.object({
  streamId: spoolIdSchema,
  fromIndex: z.number().int().nonnegative().optional(),
  lastEventId: z
    .string()
    .regex(/^(0|[1-9]\d{0,15})$/, 'lastEventId must be the index of an event')
    .nullish(),
});
export type StreamInput = z.infer<typeof streamInputSchema>;

/** The first index a subscription with this input must deliver. */
export function resumeIndex(input: Pick<StreamInput, 'fromIndex' | 'lastEventId'>): number {
  if (input.lastEventId != null) return Number(input.lastEventId) + 1;
  return input.fromIndex ?? 0;
}

export const cancelStreamInputSchema = z.object({ streamId: spoolIdSchema });
export type CancelStreamInput = z.infer<typeof cancelStreamInputSchema>;

export const cancelStreamOutputSchema = z.object({ streamId: spoolIdSchema, cancelled: z.literal(true) });
export type CancelStreamOutput = z.infer<typeof cancelStreamOutputSchema>;
