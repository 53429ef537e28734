// The Electron security decisions as pure functions (no 'electron' import), so they are unit-tested in
// plain Node: which origins we trust, the CSP, which permissions we grant, where a window may navigate,
// and which IPC senders may use the bridge. main/app/hardening.ts and ipc.ts only wire these up.

/** Our renderer is served from this origin in packaged builds (see protocol.ts). */
export const APP_SCHEME = 'app';
export const APP_HOST = 'studio';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

export type TrustedOrigins = ReadonlySet<string>;

/**
 * The origin of a URL as Chromium computes it for http(s) and our standard `app:` scheme, or null.
 * (Node's WHATWG URL reports "null" as the origin of every non-special scheme, so compute it here.)
 */
export function originOf(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return parsed.origin;
  if (parsed.protocol === `${APP_SCHEME}:` && parsed.host !== '') return `${parsed.protocol}//${parsed.host}`;
  return null;
}

function isLoopbackHttp(url: URL): boolean {
  return (
    (url.protocol === 'http:' || url.protocol === 'https:') &&
    ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)
  );
}

export type RendererEntry = { kind: 'app'; url: string } | { kind: 'dev-server'; url: string };

/**
 * Where the window loads its UI. The electron-vite dev server URL is honoured only in unpackaged runs and
 * only on loopback: a packaged app must never let an environment variable point it (and its bridge)
 * at someone else's page.
 */
export function rendererEntry(options: {
  isPackaged: boolean;
  devServerUrl: string | undefined;
}): RendererEntry {
  if (!options.isPackaged && options.devServerUrl) {
    let url: URL;
    try {
      url = new URL(options.devServerUrl);
    } catch {
      return { kind: 'app', url: APP_ENTRY_URL };
    }
    if (isLoopbackHttp(url)) return { kind: 'dev-server', url: url.href };
  }
  return { kind: 'app', url: APP_ENTRY_URL };
}

export function trustedOriginsFor(entry: RendererEntry): TrustedOrigins {
  const origins = new Set([APP_ORIGIN]);
  const devOrigin = entry.kind === 'dev-server' ? originOf(entry.url) : null;
  if (devOrigin) origins.add(devOrigin);
  return origins;
}

export function isTrustedUrl(url: string | undefined | null, trusted: TrustedOrigins): boolean {
  if (!url) return false;
  const origin = originOf(url);
  return origin !== null && trusted.has(origin);
}

// ---- Content Security Policy ----

export interface CspOptions {
  /** Set in `electron-vite dev`: Vite injects component styles as <style> and talks HMR over a WebSocket. */
  devServerUrl?: string | undefined;
  /** A <meta> policy cannot carry frame-ancestors (Chromium ignores it there and warns). */
  forMeta?: boolean;
  /**
   * Browser mode (main/serve): the page's own origin, whose /bridge WebSocket the page must reach.
   * Spelled out as ws:// or wss:// because older Chromiums do not match WebSockets with 'self'.
   */
  bridgeOrigin?: string | undefined;
}

/** ws://host:port (or wss://) for an http(s) origin; null for anything else. */
export function webSocketOriginFor(origin: string): string | null {
  const parsed = originOf(origin);
  if (parsed === null) return null;
  if (parsed.startsWith('http://')) return 'ws://' + parsed.slice('http://'.length);
  if (parsed.startsWith('https://')) return 'wss://' + parsed.slice('https://'.length);
  return null;
}

/**
 * The renderer's CSP. No 'unsafe-eval' and no inline script in any mode. blob:/mediastream: for media
 * are there for the preview and viewer (MediaStream and MSE/WebCodecs output) that come later.
 */
export function contentSecurityPolicy(options: CspOptions = {}): string {
  const dev = options.devServerUrl ? new URL(options.devServerUrl) : null;
  const bridge = options.bridgeOrigin ? webSocketOriginFor(options.bridgeOrigin) : null;
  const connect = ["'self'"];
  if (dev) connect.push(`ws://${dev.host}`, `wss://${dev.host}`);
  if (bridge) connect.push(bridge);
  const directives: [string, string[]][] = [
    ['default-src', ["'self'"]],
    ['script-src', ["'self'"]],
    ['style-src', dev ? ["'self'", "'unsafe-inline'"] : ["'self'"]],
    ['img-src', ["'self'", 'data:', 'blob:']],
    ['font-src', ["'self'"]],
    ['media-src', ["'self'", 'blob:', 'mediastream:']],
    ['connect-src', connect],
    ['worker-src', ["'self'"]],
    ['frame-src', ["'none'"]],
    ['object-src', ["'none'"]],
    ['base-uri', ["'none'"]],
    ['form-action', ["'none'"]],
  ];
  if (!options.forMeta) directives.push(['frame-ancestors', ["'none'"]]);
  return directives.map(([name, sources]) => `${name} ${sources.join(' ')}`).join('; ');
}

/** Headers every app:// response carries. */
export function securityHeaders(csp: string): Record<string, string> {
  return {
    'Content-Security-Policy': csp,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
  };
}

// ---- permissions ----

export interface PermissionQuery {
  permission: string;
  /** URL (or origin) of the frame asking. */
  requestingUrl: string | undefined;
  isMainFrame: boolean;
  /** For 'media': which devices. Request handlers give a list, check handlers a single type. */
  mediaTypes?: readonly string[] | undefined;
}

const CAPTURE_MEDIA_TYPES: ReadonlySet<string> = new Set(['video', 'audio']);

/**
 * Only camera/microphone ('media') and screen capture ('display-capture'), only for our own top-level
 * page. Everything else (notifications, geolocation, clipboard, HID/USB/serial, openExternal, ...) is
 * denied: a broadcast studio does not need it and each one widens what a compromised renderer can do.
 */
export function isPermissionAllowed(query: PermissionQuery, trusted: TrustedOrigins): boolean {
  if (!query.isMainFrame || !isTrustedUrl(query.requestingUrl, trusted)) return false;
  switch (query.permission) {
    case 'media': {
      const types = query.mediaTypes ?? [];
      return types.length > 0 && types.every((type) => CAPTURE_MEDIA_TYPES.has(type));
    }
    case 'display-capture':
      return true;
    default:
      return false;
  }
}

/** What the screen-capture check reads from Electron's DisplayMediaRequestHandlerHandlerRequest. */
export interface DisplayCaptureQuery {
  /** URL of the requesting frame; null when it navigated away or was destroyed. */
  frameUrl: string | null;
  isMainFrame: boolean;
  securityOrigin: string;
  videoRequested: boolean;
  userGesture: boolean;
}

/**
 * getDisplayMedia is granted only to our own top-level page, only for video (system audio loopback
 * is not offered), and only right after a user gesture, so a compromised page cannot start capturing
 * the screen on its own.
 */
export function isDisplayCaptureAllowed(query: DisplayCaptureQuery, trusted: TrustedOrigins): boolean {
  return (
    query.videoRequested &&
    query.userGesture &&
    isTrustedUrl(query.securityOrigin, trusted) &&
    isPermissionAllowed(
      {
        permission: 'display-capture',
        requestingUrl: query.frameUrl ?? undefined,
        isMainFrame: query.isMainFrame,
      },
      trusted,
    )
  );
}

// ---- navigation and IPC senders ----

/** In-window navigation is allowed only within our own origin(s); everything else is refused. */
export function isNavigationAllowed(url: string, trusted: TrustedOrigins): boolean {
  return isTrustedUrl(url, trusted);
}

/** The bits of Electron's WebFrameMain that the sender check reads. */
export interface SenderFrame {
  readonly url: string;
  readonly parent: unknown;
}

/**
 * An IPC message is handled only if it comes from the top frame of a page on our origin. `senderFrame`
 * is null when the frame navigated away or was destroyed before the message was handled.
 */
export function isTrustedSender(frame: SenderFrame | null | undefined, trusted: TrustedOrigins): boolean {
  return frame !== null && frame !== undefined && frame.parent === null && isTrustedUrl(frame.url, trusted);
}
