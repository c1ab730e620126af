import { type ModelProvider, ProviderError } from '@spool/server';

/** A model that says a little, then is rate limited by its provider. */
export const rateLimitedModel: ModelProvider = {
  defaultModel: 'limited',
  models: ['limited'],
  async *stream() {
    yield { type: 'text', text: 'Partly' };
    throw new ProviderError('PROVIDER_RATE_LIMITED', 'slow down', { retryAfterMs: 1_500 });
  },
};
