import { z } from 'zod';
import { spoolErrorCodeSchema } from './errors.ts';
import { finishReasonSchema, usageSchema } from './events.ts';
import { limits } from './limits.ts';
import { spoolIdSchema } from './procedures.ts';

/**
 * Saved conversations and messages, as `listConversations` and `listMessages` return them.
 * Times are ISO 8601 strings: what JSON carries without a transformer.
 */

const timestamp = z.iso.datetime();

export const messageStatusSchema = z.enum(['streaming', 'complete', 'failed', 'cancelled']);
export type MessageStatus = z.infer<typeof messageStatusSchema>;

export const messageRoleSchema = z.enum(['user', 'assistant']);
export type MessageRole = z.infer<typeof messageRoleSchema>;

export const conversationSchema = z.object({
  id: spoolIdSchema,
  title: z.string(),
  createdAt: timestamp,
  updatedAt: timestamp,
});
export type Conversation = z.infer<typeof conversationSchema>;

export const messageSchema = z.object({
  id: spoolIdSchema,
  conversationId: spoolIdSchema,
  role: messageRoleSchema,
  content: z.string(),
  status: messageStatusSchema,
  /** Assistant messages: the stream that carries (or carried) the answer; resumable while `streaming`. */
  streamId: spoolIdSchema.nullable(),
  model: z.string().nullable(),
  finishReason: finishReasonSchema.nullable(),
  usage: usageSchema.nullable(),
  errorCode: spoolErrorCodeSchema.nullable(),
  clientMessageId: z.string().nullable(),
  createdAt: timestamp,
  updatedAt: timestamp,
});
export type Message = z.infer<typeof messageSchema>;

/** A page position: the id of the last item of the previous page (ids are UUIDv7, so they sort by creation). */
const pageInput = {
  cursor: spoolIdSchema.optional(),
  limit: z.number().int().min(1).max(limits.maxPageSize).default(limits.defaultPageSize),
};

/** Newest first. */
export const listConversationsInputSchema = z.object(pageInput);
export type ListConversationsInput = z.input<typeof listConversationsInputSchema>;

/** Newest first. */
export const listMessagesInputSchema = z.object({ conversationId: spoolIdSchema, ...pageInput });
export type ListMessagesInput = z.input<typeof listMessagesInputSchema>;

const page = <T extends z.ZodType>(item: T) =>
  z.object({
    items: z.array(item),
    /** Pass as `cursor` for the next (older) page; null on the last page. */
    nextCursor: spoolIdSchema.nullable(),
  });

export const listConversationsOutputSchema = page(conversationSchema);
export type ListConversationsOutput = z.infer<typeof listConversationsOutputSchema>;

export const listMessagesOutputSchema = page(messageSchema);
export type ListMessagesOutput = z.infer<typeof listMessagesOutputSchema>;
