// Build of the three Electron targets (main + headless, preload, renderer) with explicit entries.
import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import react from '@vitejs/plugin-react';
import type { Plugin } from 'vite';
import { rendererCspMeta } from './main/transport/csp';

/**
 * Puts the renderer's one CSP (main/transport/csp.ts) into the entry page as a meta tag; on the dev
 * server with inline script and style allowed (React-refresh preamble, CSS injected as <style> tags).
 */
const rendererCspMetaTag: Plugin = {
  name: 'agentdesk-renderer-csp',
  transformIndexHtml: {
    order: 'pre',
    handler: (_html, ctx) => [
      {
        tag: 'meta',
        attrs: {
          'http-equiv': 'Content-Security-Policy',
          content: rendererCspMeta({ dev: ctx.server !== undefined }),
        },
        injectTo: 'head-prepend',
      },
    ],
  },
};

export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      // Pure-JS dependencies are bundled (tree-shaken, one file each chunk): `agentdesk serve` starts in
      // less time than it takes Node to resolve and compile their hundreds of files one by one. Native
      // ones (better-sqlite3, keyring), pino (its transports load files by path) and the engines'
      // clients (loaded on first use) stay external.
      externalizeDeps: {
        exclude: [
          'zod',
          'yaml',
          'fastify',
          '@fastify/static',
          'commander',
          'ws',
          'croner',
          'eventsource-parser',
        ],
      },
      rollupOptions: {
        // Only the source-tree fallback of the trace worker loads the bundler (trace-worker-file.ts); never bundle it.
        external: ['rolldown'],
        input: {
          index: resolve(__dirname, 'main/index.ts'),
          headless: resolve(__dirname, 'main/headless.ts'),
          'llm-kit': resolve(__dirname, 'main/llm-kit.ts'),
          // The trace store's worker thread (main/services/traces/trace-worker-file.ts finds it at run time).
          'trace-worker': resolve(__dirname, 'main/services/traces/trace-worker.ts'),
          // The trace store for bench/trace.mjs (like llm-kit for bench/gateway.mjs).
          'trace-kit': resolve(__dirname, 'main/services/traces/trace-kit.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      rollupOptions: {
        input: { index: resolve(__dirname, 'preload/index.ts') },
      },
    },
  },
  renderer: {
    root: resolve(__dirname, 'renderer'),
    plugins: [react(), rendererCspMetaTag],
    build: {
      outDir: resolve(__dirname, 'out/renderer'),
      minify: true,
      rollupOptions: {
        input: { index: resolve(__dirname, 'renderer/index.html') },
      },
    },
  },
});
