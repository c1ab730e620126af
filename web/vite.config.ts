import react from '@vitejs/plugin-react';
import { defaultClientConditions, defineConfig } from 'vite';

// `vite build` writes the page to web/dist, which the Spool server serves at `/`. It builds the SDK
// from its sources (the `@spool/source` export condition): no package build needed first.
export default defineConfig({
  plugins: [react()],
  resolve: { conditions: ['@spool/source', ...defaultClientConditions] },
  build: { outDir: 'dist', emptyOutDir: true },
});
