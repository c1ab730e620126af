export { SpoolProvider, useSpoolClient } from './provider.ts';
export { type ChatMessage, type ChatState, type UseChatOptions, useChat } from './use-chat.ts';
export { type SendMessageState, useSendMessage } from './use-send-message.ts';
export {
  type SpoolStreamState,
  type SpoolStreamStatus,
  type UseSpoolStreamOptions,
  useSpoolStream,
} from './use-spool-stream.ts';
