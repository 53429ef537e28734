// Electron main-process entry (built to out/main/index.js). The thin shell around the Node core: it
// hardens Electron, serves the renderer on app://, exposes the StudioBridge and owns the window.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, session } from 'electron';
import type { BrowserWindow } from 'electron';
import { createCommandHandlers } from './commands.js';
import { applyDevServerCsp, guardAllWebContents, hardenSession } from './hardening.js';
import { registerBridge, sendBridgeEvent } from './ipc.js';
import { registerAppSchemePrivileges, serveRenderer } from './protocol.js';
import { contentSecurityPolicy, rendererEntry, trustedOriginsFor } from './security-policy.js';
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
  registerBridge(
    createCommandHandlers({ appVersion: app.getVersion(), versions: process.versions }),
    trusted,
  );

  let mainWindow: BrowserWindow | null = null;
  const openMainWindow = (): void => {
    const window = createMainWindow({ preloadPath: PRELOAD_PATH, entry });
    window.on('closed', () => {
      if (mainWindow === window) mainWindow = null;
    });
    mainWindow = window;
  };

  app.on('second-instance', () => {
    if (!app.isReady()) return;
    if (!mainWindow) return openMainWindow();
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
    sendBridgeEvent(mainWindow.webContents, 'focusRequested', { reason: 'second-instance' });
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('activate', () => {
    if (app.isReady() && !mainWindow) openMainWindow();
  });

  await app.whenReady();
  hardenSession(session.defaultSession, trusted);
  if (entry.kind === 'dev-server') {
    applyDevServerCsp(session.defaultSession, entry, contentSecurityPolicy({ devServerUrl: entry.url }));
  }
  serveRenderer(RENDERER_DIR);
  openMainWindow();
}
