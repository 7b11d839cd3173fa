// Builds the web UI (Lit components) into dist/web, which `lifeboat serve` serves at /.
// Everything is bundled: no external fonts, scripts or CDNs. Asset addresses are relative to the
// page (`base: './'`), so the same build works at `/` and under Home Assistant's ingress prefix
// (`/api/hassio_ingress/<token>/`).

import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: './',
  publicDir: false,
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    assetsInlineLimit: 0,
  },
  server: {
    proxy: {
      '/api': { target: 'http://127.0.0.1:8124', ws: true },
    },
  },
});
