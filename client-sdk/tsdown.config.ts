import { defineConfig } from 'tsdown';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    react: 'src/react/index.ts',
    'ai-sdk': 'src/ai-sdk/index.ts',
    'event-source.node': 'src/event-source.node.ts',
    'event-source.browser': 'src/event-source.browser.ts',
    'websocket.node': 'src/websocket.node.ts',
    'websocket.browser': 'src/websocket.browser.ts',
  },
  platform: 'neutral',
  target: 'es2022',
  // `#event-source` and `#websocket` stay imports: the package's `imports` map picks Node's or the browser's file.
  deps: { neverBundle: [/^#/], dts: { alwaysBundle: ['@spool/server'] } },
  // The router's type comes from the server's sources (tsconfig's `@spool/source` condition) into the declarations,
  // so an app needs no `@spool/server` for `spool.trpc` to be typed.
  dts: true,
  inputOptions: { resolve: { conditionNames: ['@spool/source', 'types', 'import', 'default'] } },
  sourcemap: true,
});
