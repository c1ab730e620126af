/**
 * The OpenAI-compatible model server of the overhead measurement (the tests' scripted one, answering
 * at once), alone in its process so that neither the direct client nor Spool pays for its CPU.
 */
import { startFakeOpenAI } from '../server/test/support/fake-openai.ts';
import { serveParent } from './ipc.ts';

const fake = await startFakeOpenAI();
serveParent<Record<string, never>>({ baseURL: fake.baseURL }, {}, () => fake.close());
