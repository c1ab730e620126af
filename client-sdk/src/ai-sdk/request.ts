import { limits, type SendMessageInput } from '@spool/shared';
import type { UIMessage } from 'ai';

export interface UseChatRequest {
  trigger: 'submit-message' | 'regenerate-message';
  chatId: string;
  messages: UIMessage[];
  body?: object | undefined;
}

/**
 * What to send Spool for a `useChat` request: the last user message's text only, since Spool keeps
 * the conversation's history itself. A submit carries a `clientMessageId` made from the chat and
 * message ids, so a submit retried after a lost reply gets the first answer, not a second one; a
 * regenerate carries none, as it asks for a new answer to the same message.
 */
export function spoolInputOf(
  request: UseChatRequest,
  defaultModel: string | undefined,
): Omit<SendMessageInput, 'conversationId'> {
  const user = request.messages.findLast((message) => message.role === 'user');
  // Non-text parts (files, say) have no place in a Spool message; an empty text is refused by the server.
  const content = (user?.parts ?? []).map((part) => (part.type === 'text' ? part.text : '')).join('');
  const clientMessageId =
    request.trigger === 'submit-message' && user ? clientMessageIdOf(request.chatId, user.id) : undefined;
  const model = modelIn(request.body) ?? defaultModel;
  return {
    content,
    ...(clientMessageId === undefined ? {} : { clientMessageId }),
    ...(model === undefined ? {} : { model }),
  };
}

/**
 * The chat id and the message id together: Spool's idempotency is per user across all their chats,
 * and apps that pick their own message ids ('1', '2'...) only make them unique within a chat.
 * Undefined where it would not fit Spool's schema (too long, or a NUL): no idempotency then.
 */
function clientMessageIdOf(chatId: string, messageId: string): string | undefined {
  const id = `${chatId}:${messageId}`;
  return id.length <= limits.maxClientIdChars && !id.includes('\0') ? id : undefined;
}

/** `sendMessage(message, { body: { model } })` picks the model for one request, as with the AI SDK's HTTP transport. */
function modelIn(body: object | undefined): string | undefined {
  const model = body && 'model' in body ? body.model : undefined;
  return typeof model === 'string' ? model : undefined;
}
