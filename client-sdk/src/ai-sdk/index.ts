/**
 * `@spool/client/ai-sdk`: Spool as a transport for the Vercel AI SDK's `useChat` (`ai` v7, an
 * optional peer dependency that only this entry point needs).
 */
export type { SpoolChatStorage } from './chat-memory.ts';
export type { SpoolDataTypes, SpoolMessageMetadata, SpoolUIMessage } from './metadata.ts';
export { createSpoolChatTransport, SpoolChatTransport, type SpoolChatTransportOptions } from './transport.ts';
export type { SpoolUIMessageChunk } from './ui-chunks.ts';
