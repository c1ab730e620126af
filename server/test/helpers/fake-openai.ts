import { onTestFinished } from 'vitest';
import { type FakeOpenAI, startFakeOpenAI as start } from '../support/fake-openai.ts';

export type { FakeOpenAI, Reply } from '../support/fake-openai.ts';

/** The scripted OpenAI-compatible server, closed when the test finishes. */
export async function startFakeOpenAI(): Promise<FakeOpenAI> {
  const fake = await start();
  onTestFinished(() => fake.close());
  return fake;
}
