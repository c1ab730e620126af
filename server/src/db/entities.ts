import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import { finishReasonSchema, messageRoleSchema, messageStatusSchema, type StreamEvent } from '@spool/shared';

/** What a finished answer needs, beside its content, to be replayed with the events and indexes it streamed with. */
export interface ReplayData {
  /** Length (UTF-16 code units) of each token's text, in order: cuts the content back into tokens. */
  tokenLengths: number[];
  /** Every other event (start, progress, log, the terminal one), with its index. */
  events: StreamEvent[];
}

export const Conversation = defineEntity({
  name: 'Conversation',
  tableName: 'conversation',
  properties: {
    /** UUIDv7, made in the process. */
    id: p.uuid().primary(),
    ownerId: p.string(),
    title: p.string(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
  },
  // listConversations: a user's conversations, newest id first.
  indexes: [{ properties: ['ownerId', 'id'] }],
});
export type Conversation = InferEntity<typeof Conversation>;

export const Message = defineEntity({
  name: 'Message',
  tableName: 'message',
  properties: {
    /** UUIDv7, made in the process. */
    id: p.uuid().primary(),
    conversation: () => p.manyToOne(Conversation).ref(),
    /** Copied from the conversation, so a stream lookup checks ownership without a join. */
    ownerId: p.string(),
    role: p.enum(messageRoleSchema.options),
    content: p.text(),
    status: p.enum(messageStatusSchema.options),
    /** Assistant messages: the user message they answer (a repeated `clientMessageId` finds its answer by it). */
    inReplyTo: p.uuid().nullable().index(),
    /** Assistant messages: the stream that carries the answer. */
    streamId: p.uuid().nullable().unique(),
    model: p.string().nullable(),
    finishReason: p.enum(finishReasonSchema.options).nullable(),
    promptTokens: p.integer().nullable(),
    completionTokens: p.integer().nullable(),
    totalTokens: p.integer().nullable(),
    errorCode: p.string().nullable(),
    /** User messages: the caller's idempotency key. */
    clientMessageId: p.string().nullable(),
    replay: p.json<ReplayData>().nullable(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
  },
  indexes: [
    // listMessages: a conversation's messages, newest id first.
    { properties: ['conversation', 'id'] },
    // Recovery: the few answers still streaming.
    { name: 'message_streaming_idx', properties: ['status'], where: { status: 'streaming' } },
  ],
  uniques: [{ properties: ['ownerId', 'clientMessageId'] }],
});
export type Message = InferEntity<typeof Message>;

export const entities = [Conversation, Message];
