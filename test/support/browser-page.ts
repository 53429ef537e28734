// Real-browser test pages: bundle a TypeScript entry (and everything it imports — renderer code,
// workers, common/) with Vite into a temporary directory, serve it from 127.0.0.1 (a secure
// context, so WebCodecs, WebCrypto and getUserMedia work) and open it in Debian's Chromium through
// playwright-core with fake capture devices. Used by the media pipeline test; reusable for any
// test that needs renderer code in a real browser (pass the Svelte plugin for components).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build, type PluginOption } from 'vite';

export const CHROMIUM_PATH = '/usr/bin/chromium';
const REPO_ROOT = resolve(import.meta.dirname, '../..');

export interface TestPageOptions {
  /** The page's module entry (absolute path to a .ts file). */
  readonly entry: string;
  /** HTML placed in <body> before the script runs. */
  readonly body?: string;
  readonly title?: string;
  /** Sent as the Content-Security-Policy header (use the app's policy to catch violations). */
  readonly csp?: string;
  /** Extra Vite plugins (e.g. svelte() for component pages). */
  readonly plugins?: PluginOption[];
}

export interface BuiltPage {
  readonly dir: string;
  remove(): Promise<void>;
}

/** Bundles `entry` into a fresh temporary directory holding index.html and page.js. */
export async function buildTestPage(options: TestPageOptions): Promise<BuiltPage> {
  const dir = await mkdtemp(join(tmpdir(), 'moq-studio-page-'));
  await build({
    configFile: false,
    root: REPO_ROOT,
    publicDir: false,
    logLevel: 'warn',
    plugins: options.plugins ?? [],
    build: {
      outDir: dir,
      emptyOutDir: false,
      target: 'esnext',
      minify: false,
      modulePreload: false,
      copyPublicDir: false,
      reportCompressedSize: false,
      rollupOptions: {
        input: { page: options.entry },
        output: { entryFileNames: '[name].js' },
      },
    },
  });
  const html = [
    '<!doctype html>',
    '<html lang="en">',
    // An empty icon, so the browser does not ask the server for /favicon.ico.
    '<head><meta charset="utf-8" /><link rel="icon" href="data:," />',
    `<title>${escapeHtml(options.title ?? 'test page')}</title></head>`,
    `<body>${options.body ?? ''}<script type="module" src="./page.js"></script></body>`,
    '</html>',
  ].join('\n');
  await writeFile(join(dir, 'index.html'), html);
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

export interface StaticServer {
  /** `http://127.0.0.1:<port>/` */
  readonly url: string;
  close(): Promise<void>;
}

/** Serves `dir` read-only on an ephemeral loopback port. */
export async function serveDirectory(
  dir: string,
  headers: Record<string, string> = {},
): Promise<StaticServer> {
  const root = resolve(dir);
  const server: Server = createServer((request, response) => {
    void (async () => {
      const path = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
      const file = normalize(join(root, path === '/' ? 'index.html' : path));
      if (request.method !== 'GET' || !file.startsWith(root + sep)) {
        response.writeHead(404).end();
        return;
      }
      try {
        const body = await readFile(file);
        response.writeHead(200, {
          'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
          'Cache-Control': 'no-store',
          ...headers,
        });
        response.end(body);
      } catch {
        response.writeHead(404).end();
      }
    })();
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('server has no port');
  return {
    url: `http://127.0.0.1:${address.port}/`,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

/** Chromium with fake camera/microphone that need no permission prompt. */
export function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      '--no-sandbox',
      // Background tabs and occluded windows must not throttle timers or media in headless runs.
      '--disable-background-timer-throttling',
      '--disable-renderer-backgrounding',
      '--autoplay-policy=no-user-gesture-required',
      ...extraArgs,
    ],
  });
}

export interface OpenedPage {
  readonly browser: Browser;
  readonly page: Page;
  readonly url: string;
  /** Console errors and uncaught page errors seen so far (tests can assert there are none). */
  readonly errors: string[];
  close(): Promise<void>;
}

/** Builds, serves and opens a test page; `close` undoes all three. */
export async function openTestPage(options: TestPageOptions): Promise<OpenedPage> {
  const built = await buildTestPage(options);
  const cleanups: (() => Promise<unknown>)[] = [() => built.remove()];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  };
  try {
    const server = await serveDirectory(
      built.dir,
      options.csp ? { 'Content-Security-Policy': options.csp } : {},
    );
    cleanups.push(() => server.close());
    const browser = await launchChromium();
    cleanups.push(() => browser.close());
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(`console: ${message.text()}`);
    });
    await page.goto(server.url);
    return { browser, page, url: server.url, errors, close };
  } catch (error) {
    await close();
    throw error;
  }
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
