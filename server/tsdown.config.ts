import { defineConfig } from 'tsdown';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    // The router's type alone, light enough for the client to carry in its declarations.
    router: 'src/trpc/router.ts',
    main: 'src/main.ts',
  },
  platform: 'node',
  target: 'node22',
  // The migrations are imported (`migrations/index.ts`), so they are bundled: the package needs no folder of them.
  dts: { entry: ['src/index.ts', 'src/trpc/router.ts'] },
  fixedExtension: false,
  sourcemap: true,
});
