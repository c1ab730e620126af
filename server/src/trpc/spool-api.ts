import type {
  ListConversationsOutput,
  ListMessagesOutput,
  SendMessageInput,
  SendMessageOutput,
  StreamEvent,
} from '@spool/shared';
import type { UserContext } from './init.ts';

/**
 * What Spool's procedures do, for a known user, in the shared package's types (and tRPC's, for the
 * context): the router is a thin tRPC layer over it, so its type, which the client SDK carries in its
 * declarations, depends on nothing of the server's (no database, store or logger types).
 */
export interface SpoolApi {
  /** Counts a request against the user's requests per minute (`sendMessage` counts in its own start). */
  countRequest(userId: string): Promise<void>;
  sendMessage(userId: string, input: SendMessageInput): Promise<SendMessageOutput>;
  /** The stream's events from `fromIndex`, holding one of the caller's subscription slots while it runs. */
  watch(
    ctx: UserContext,
    options: { streamId: string; fromIndex: number; signal?: AbortSignal },
  ): AsyncIterable<StreamEvent>;
  /** Stops a generating answer; throws when it is not the caller's or has already ended. */
  cancel(userId: string, streamId: string): Promise<void>;
  listConversations(
    userId: string,
    page: { cursor?: string | undefined; limit: number },
  ): Promise<ListConversationsOutput>;
  listMessages(
    userId: string,
    page: { conversationId: string; cursor?: string | undefined; limit: number },
  ): Promise<ListMessagesOutput>;
}
