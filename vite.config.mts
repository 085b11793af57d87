// Builds the web UI (ui-extension/src/web) into dist/web, which the ui-extension serves.
// JSX and TypeScript are compiled by Vite's own transform (automatic runtime, tsconfig.web.json).
import path from 'node:path';
import { defineConfig } from 'vite';

const root = path.resolve(import.meta.dirname, 'ui-extension/src/web');

export default defineConfig({
  root,
  base: '/',
  publicDir: false,
  resolve: { alias: { '@common': path.resolve(import.meta.dirname, 'ui-extension/src/common') } },
  build: {
    outDir: path.resolve(import.meta.dirname, 'dist/web'),
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 2500,
    reportCompressedSize: false,
  },
  logLevel: 'warn',
});
