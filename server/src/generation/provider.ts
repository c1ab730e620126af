import type { FinishReason, Usage } from '@spool/shared';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface GenerationRequest {
  model: string;
  messages: ChatMessage[];
  /** Aborted on cancel and on shutdown: the provider stops and throws. */
  signal: AbortSignal;
}

export type ProviderChunk =
  | { type: 'text'; text: string }
  | { type: 'finish'; finishReason: FinishReason; usage: Usage | null };

/** A model that streams an answer: the demo model here, OpenAI-compatible endpoints later. */
export interface ModelProvider {
  readonly defaultModel: string;
  /** Models a caller may ask for. */
  readonly models: readonly string[];
  stream(request: GenerationRequest): AsyncIterable<ProviderChunk>;
  /** Lets go of what it holds (connections to the provider), once no answer is generating. */
  close?(): Promise<void>;
}
