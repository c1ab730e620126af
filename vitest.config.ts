import { defaultClientConditions, defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// In the repository, `@spool/*` resolve to their TypeScript sources (the `@spool/source` export
// condition), so tests never need a build; installed packages resolve to their built `dist/`.
const source = '@spool/source';

export default defineConfig({
  resolve: { conditions: [source, ...defaultClientConditions] },
  ssr: { resolve: { conditions: [source, ...defaultServerConditions] } },
  // Where Vitest runs the global setup.
  environments: { __vitest__: { resolve: { conditions: [source, ...defaultServerConditions] } } },
  test: {
    include: ['{shared,server,client-sdk,web}/test/**/*.test.ts', 'test/*.test.ts'],
    globalSetup: ['./server/test/helpers/global-setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    env: { LOG_LEVEL: 'warn' },
  },
});
