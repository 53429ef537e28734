// The Chromium end-to-end harness: builds the renderer once (Vite, the renderer part of
// electron.vite.config.ts, into a temporary folder), starts the embedded relay + coordinator and
// browser mode's server (main/serve) on 127.0.0.1 with the real StudioCore, and launches Debian's
// Chromium with a fake camera and microphone. Each page is one studio user (profile) in its own
// browser context, as two people on two machines would be.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { build } from 'vite';
import type { BridgeEvent } from '../../common/bridge/index.js';
import type { InlineConfig } from 'vite';
import electronViteConfig from '../../electron.vite.config.js';
import { startLocalStack } from '../../main/local-stack.js';
import type { LocalStack } from '../../main/local-stack.js';
import { startStudioServer } from '../../main/serve/index.js';
import type { StudioServer } from '../../main/serve/index.js';
import { createStudioCore } from '../../main/studio/index.js';

export const CHROMIUM_PATH = '/usr/bin/chromium';

export interface StudioBrowser {
  readonly stack: LocalStack;
  readonly server: StudioServer;
  readonly browser: Browser;
  /** Opens the studio for `profile` in a fresh browser context; console errors are collected. */
  openStudio(profile: string): Promise<Page>;
  /**
   * Every event each profile's core has sent to its page (key material included), as the test's
   * window onto what a page was given — e.g. which epochs' keys a removed viewer ever held.
   */
  coreEvents(profile: string): readonly BridgeEvent[];
  /** Console errors, uncaught exceptions and failed requests of every page, prefixed with the profile. */
  readonly pageErrors: string[];
  close(): Promise<void>;
}

let builtRenderer: Promise<string> | null = null;

/** Builds the renderer once per process into a temporary folder; resolves to that folder. */
export function buildRenderer(): Promise<string> {
  builtRenderer ??= (async () => {
    const outDir = await mkdtemp(join(tmpdir(), 'moq-studio-renderer-'));
    const renderer = (electronViteConfig as { renderer?: InlineConfig }).renderer;
    if (!renderer) throw new Error('electron.vite.config.ts has no renderer build');
    await build({
      ...renderer,
      configFile: false,
      logLevel: 'warn',
      mode: 'production',
      build: { ...renderer.build, outDir, emptyOutDir: true },
    });
    return outDir;
  })();
  return builtRenderer;
}

export async function startStudioBrowser(): Promise<StudioBrowser> {
  const rendererDir = await buildRenderer();
  const dataDir = await mkdtemp(join(tmpdir(), 'moq-studio-e2e-'));
  const stack = await startLocalStack({ dataDir: join(dataDir, 'services') });
  const events = new Map<string, BridgeEvent[]>();
  let server: StudioServer | null = null;
  let browser: Browser | null = null;
  try {
    server = await startStudioServer({
      rendererDir,
      dataDir,
      createCore: async (options) => {
        const core = await createStudioCore(options);
        const log = events.get(basename(options.dataDir)) ?? [];
        events.set(basename(options.dataDir), log);
        core.onEvent((event) => log.push(event));
        return core;
      },
      appVersion: 'e2e',
      embedded: { relayUrl: stack.relayUrl, coordinatorUrl: stack.coordinatorUrl },
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', '--no-sandbox'],
    });
  } catch (error) {
    await server?.close();
    await stack.close();
    throw error;
  }
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];
  const openServer = server;
  const openBrowser = browser;
  return {
    stack,
    server: openServer,
    browser: openBrowser,
    pageErrors,
    coreEvents: (profile) => events.get(profile) ?? [],
    async openStudio(profile) {
      const context = await openBrowser.newContext({ viewport: { width: 1280, height: 800 } });
      contexts.push(context);
      const page = await context.newPage();
      page.on('console', (message) => {
        // Chromium's "Failed to load resource" line names no URL; the response handler below does.
        if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
          pageErrors.push(`${profile}: ${message.text()}`);
        }
      });
      page.on('response', (response) => {
        if (response.status() >= 400)
          pageErrors.push(`${profile}: HTTP ${response.status()} ${response.url()}`);
      });
      page.on('pageerror', (error) => pageErrors.push(`${profile}: ${error.message}`));
      await page.goto(openServer.pageUrl(profile));
      return page;
    },
    async close() {
      for (const context of contexts) await context.close().catch(() => {});
      await openBrowser.close().catch(() => {});
      await openServer.close();
      await stack.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Removes the renderer build (call once, after the last harness closed). */
export async function removeBuiltRenderer(): Promise<void> {
  if (!builtRenderer) return;
  const dir = await builtRenderer.catch(() => null);
  builtRenderer = null;
  if (dir) await rm(dir, { recursive: true, force: true });
}
