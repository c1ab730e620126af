import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// `vite build` writes the page to web/dist, which the Spool server serves at `/`.
export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true },
});
