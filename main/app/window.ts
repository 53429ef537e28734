// The studio's main window, created with the Electron security checklist's webPreferences spelled out
// (even where they match the defaults) so a reviewer can see them and a default change cannot bite us.
import { BrowserWindow } from 'electron';
import type { RendererEntry } from './security-policy.js';

export function createMainWindow(options: { preloadPath: string; entry: RendererEntry }): BrowserWindow {
  const window = new BrowserWindow({
    title: 'MoQ Studio',
    width: 1280,
    height: 800,
    minWidth: 800,
    minHeight: 560,
    show: false, // shown on ready-to-show, so there is no white flash before the dark UI paints
    backgroundColor: '#0f1115',
    webPreferences: {
      preload: options.preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
    },
  });
  window.once('ready-to-show', () => window.show());
  void window.loadURL(options.entry.url);
  return window;
}
