// Applies the decisions in security-policy.ts to Electron: permission handlers on the session, and
// navigation / window.open / <webview> guards on every WebContents the app ever creates.
import { app } from 'electron';
import type { Session } from 'electron';
import { isNavigationAllowed, isPermissionAllowed, originOf } from './security-policy.js';
import type { RendererEntry, TrustedOrigins } from './security-policy.js';

export function hardenSession(session: Session, trusted: TrustedOrigins): void {
  session.setPermissionRequestHandler((_contents, permission, callback, details) => {
    callback(
      isPermissionAllowed(
        {
          permission,
          requestingUrl: details.requestingUrl,
          isMainFrame: details.isMainFrame,
          mediaTypes: 'mediaTypes' in details ? details.mediaTypes : undefined,
        },
        trusted,
      ),
    );
  });
  // Chromium consults the check handler for synchronous queries (e.g. navigator.permissions.query,
  // device labels); without it, checks fall back to Electron's permissive default.
  session.setPermissionCheckHandler((_contents, permission, requestingOrigin, details) =>
    isPermissionAllowed(
      {
        permission,
        requestingUrl: details.requestingUrl ?? details.securityOrigin ?? requestingOrigin,
        isMainFrame: details.isMainFrame,
        mediaTypes: details.mediaType ? [details.mediaType] : undefined,
      },
      trusted,
    ),
  );
  // WebHID / WebUSB / Web Serial: never.
  session.setDevicePermissionHandler(() => false);
}

/**
 * In `electron-vite dev` the page comes from Vite's server, which sends no CSP; add the dev policy as a
 * header there so dev runs under the same rules (bar HMR's needs) as the packaged app.
 */
export function applyDevServerCsp(session: Session, entry: RendererEntry, devCsp: string): void {
  const origin = entry.kind === 'dev-server' ? originOf(entry.url) : null;
  if (!origin) return;
  session.webRequest.onHeadersReceived({ urls: [`${origin}/*`] }, (details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [devCsp] } });
  });
}

export function guardAllWebContents(trusted: TrustedOrigins): void {
  app.on('web-contents-created', (_event, contents) => {
    // No popups at all; links to the outside world will get an explicit "open in browser" path later.
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
    contents.on('will-frame-navigate', (event) => {
      if (!isNavigationAllowed(event.url, trusted)) event.preventDefault();
    });
    contents.on('will-redirect', (event) => {
      if (!isNavigationAllowed(event.url, trusted)) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
  });
}
