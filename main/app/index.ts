// Electron main-process entry (built to out/main/index.js). The thin shell around the Node core: it
// hardens Electron, serves the renderer on app://, opens the StudioCore (studio-host.ts), exposes its
// commands and events as the StudioBridge over IPC and its media over a MessagePort, and owns the window.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, dialog, session } from 'electron';
import type { BrowserWindow } from 'electron';
import type { BridgeEvent } from '../../common/bridge/index.js';
import { handleDisplayCapture } from './display-capture.js';
import { applyDevServerCsp, guardAllWebContents, hardenSession } from './hardening.js';
import { registerBridge, sendBridgeEvent } from './ipc.js';
import { provideMediaPorts } from './media-port.js';
import { registerAppSchemePrivileges, serveRenderer } from './protocol.js';
import { contentSecurityPolicy, rendererEntry, trustedOriginsFor } from './security-policy.js';
import { openStudioHost } from './studio-host.js';
import type { StudioHost } from './studio-host.js';
import { createMainWindow } from './window.js';

// Paths relative to this bundle: out/main/index.js → out/preload/index.cjs and out/renderer/.
const here = path.dirname(fileURLToPath(import.meta.url));
const PRELOAD_PATH = path.join(here, '../preload/index.cjs');
const RENDERER_DIR = path.join(here, '../renderer');

// Both must happen before `ready`.
app.enableSandbox(); // every renderer sandboxed, including any we forget to configure
registerAppSchemePrivileges();

if (!app.requestSingleInstanceLock()) {
  // Another studio owns the local state (SQLite, group keys); hand over to it via 'second-instance'.
  app.quit();
} else {
  start().catch((error: unknown) => {
    console.error('MoQ Studio failed to start:', error);
    // Say why before exiting (e.g. no OS keychain for safeStorage); a silent exit looks like a crash.
    dialog.showErrorBox('MoQ Studio could not start', error instanceof Error ? error.message : String(error));
    app.exit(1);
  });
}

async function start(): Promise<void> {
  const entry = rendererEntry({
    isPackaged: app.isPackaged,
    devServerUrl: process.env.ELECTRON_RENDERER_URL,
  });
  const trusted = trustedOriginsFor(entry);
  guardAllWebContents(trusted); // before any WebContents exists

  let host: StudioHost | null = null;
  let mainWindow: BrowserWindow | null = null;
  const openMainWindow = (): void => {
    if (!host) return; // still starting: the window opens once the core is ready
    const window = createMainWindow({ preloadPath: PRELOAD_PATH, entry });
    const stopMedia = provideMediaPorts(window.webContents, host.core, trusted);
    window.on('closed', () => {
      stopMedia();
      if (mainWindow === window) mainWindow = null;
    });
    mainWindow = window;
  };
  const sendToWindow = (event: BridgeEvent): void => {
    if (!mainWindow) return;
    sendBridgeEvent(mainWindow.webContents, event.name, event.payload as never, trusted);
  };

  app.on('second-instance', () => {
    if (!app.isReady()) return;
    if (!mainWindow) return openMainWindow();
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
    sendToWindow({ name: 'focusRequested', payload: { reason: 'second-instance' } });
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('activate', () => {
    if (app.isReady() && !mainWindow) openMainWindow();
  });
  // Leave the broadcast and stop the embedded services before the process ends; quit again after.
  let closed = false;
  app.on('will-quit', (event) => {
    if (closed || !host) return;
    event.preventDefault();
    host.close().finally(() => {
      closed = true;
      app.quit();
    });
  });

  await app.whenReady();
  hardenSession(session.defaultSession, trusted);
  handleDisplayCapture(session.defaultSession, trusted);
  if (entry.kind === 'dev-server') {
    applyDevServerCsp(session.defaultSession, entry, contentSecurityPolicy({ devServerUrl: entry.url }));
  }
  serveRenderer(RENDERER_DIR);
  // safeStorage is usable only once the app is ready.
  host = await openStudioHost({ userDataDir: app.getPath('userData'), appVersion: app.getVersion() });
  registerBridge(host.core.handlers, trusted);
  host.core.onEvent(sendToWindow);
  openMainWindow();
}
