import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{shared,server,client-sdk,web}/test/**/*.test.ts'],
    globalSetup: ['./server/test/helpers/global-setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    env: { LOG_LEVEL: 'warn' },
  },
});
