// Build of the three Electron targets: main (ESM, out/main/index.js), preload (CommonJS,
// out/preload/index.cjs — sandboxed windows cannot load ESM preloads) and the Svelte renderer (out/renderer).
import { resolve } from 'node:path';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'electron-vite';
import type { Plugin } from 'vite';
import { contentSecurityPolicy } from './main/app/security-policy.js';

const root = import.meta.dirname;

/**
 * `electron-vite dev` serves index.html from Vite, which injects component CSS as <style> elements and
 * uses a WebSocket for HMR. Swap the meta CSP for the dev policy there; builds keep the strict one.
 */
function devCspMeta(): Plugin {
  let devServerUrl = 'http://localhost:5173';
  return {
    name: 'moq-studio:dev-csp-meta',
    apply: 'serve',
    configureServer(server) {
      server.httpServer?.once('listening', () => {
        const resolved = server.resolvedUrls?.local[0];
        if (resolved) devServerUrl = resolved;
      });
    },
    transformIndexHtml(html) {
      const policy = contentSecurityPolicy({ devServerUrl, forMeta: true });
      return html.replace(
        /(<meta\s+http-equiv="Content-Security-Policy"\s+content=")[^"]*(")/,
        (_match, open: string, close: string) => open + policy + close,
      );
    },
  };
}

export default defineConfig({
  main: {
    build: {
      outDir: resolve(root, 'out/main'),
      lib: { entry: resolve(root, 'main/app/index.ts'), formats: ['es'], fileName: () => 'index.js' },
    },
  },
  preload: {
    build: {
      outDir: resolve(root, 'out/preload'),
      lib: { entry: resolve(root, 'preload/index.ts'), formats: ['cjs'], fileName: () => 'index.cjs' },
      // A sandboxed preload can require only 'electron' (and a few polyfills): bundle everything else.
      externalizeDeps: false,
    },
  },
  renderer: {
    root: resolve(root, 'renderer'),
    plugins: [svelte({ configFile: false }), devCspMeta()],
    build: {
      outDir: resolve(root, 'out/renderer'),
      rollupOptions: { input: resolve(root, 'renderer/index.html') },
    },
  },
});
