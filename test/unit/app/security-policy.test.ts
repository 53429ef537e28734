// Unit tests for the Electron-free security decisions in main/app/security-policy.ts: origins, the
// dev-server gate, CSP (including its copy in renderer/index.html), permissions, navigation, IPC senders.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  APP_ENTRY_URL,
  APP_ORIGIN,
  contentSecurityPolicy,
  isDisplayCaptureAllowed,
  isNavigationAllowed,
  isPermissionAllowed,
  isTrustedSender,
  originOf,
  rendererEntry,
  securityHeaders,
  trustedOriginsFor,
  webSocketOriginFor,
} from '../../../main/app/security-policy.js';

const prodTrusted = trustedOriginsFor({ kind: 'app', url: APP_ENTRY_URL });
const devEntry = rendererEntry({ isPackaged: false, devServerUrl: 'http://localhost:5173' });
const devTrusted = trustedOriginsFor(devEntry);

describe('originOf', () => {
  it('computes the app:// origin that Node reports as "null"', () => {
    expect(originOf('app://studio/index.html')).toBe('app://studio');
    expect(originOf('http://localhost:5173/src/main.ts')).toBe('http://localhost:5173');
  });
  it('returns null for file:, data:, javascript: and garbage', () => {
    for (const url of ['file:///etc/passwd', 'data:text/html,hi', 'javascript:alert(1)', 'not a url', '']) {
      expect(originOf(url)).toBeNull();
    }
  });
});

describe('rendererEntry', () => {
  it('serves app://studio/index.html when packaged, whatever the environment says', () => {
    expect(rendererEntry({ isPackaged: true, devServerUrl: 'http://localhost:5173' })).toEqual({
      kind: 'app',
      url: APP_ENTRY_URL,
    });
  });
  it('uses the dev server only unpackaged and only on loopback', () => {
    expect(devEntry).toEqual({ kind: 'dev-server', url: 'http://localhost:5173/' });
    expect(rendererEntry({ isPackaged: false, devServerUrl: 'https://evil.example/' }).kind).toBe('app');
    expect(rendererEntry({ isPackaged: false, devServerUrl: 'file:///tmp/index.html' }).kind).toBe('app');
    expect(rendererEntry({ isPackaged: false, devServerUrl: 'nonsense' }).kind).toBe('app');
    expect(rendererEntry({ isPackaged: false, devServerUrl: undefined }).kind).toBe('app');
  });
  it('trusts the dev origin only in dev', () => {
    expect([...prodTrusted]).toEqual([APP_ORIGIN]);
    expect(devTrusted.has('http://localhost:5173')).toBe(true);
  });
});

describe('contentSecurityPolicy', () => {
  const directive = (csp: string, name: string) =>
    csp
      .split(';')
      .map((part) => part.trim())
      .find((part) => part.startsWith(name + ' '));

  it('never allows eval or inline script, in any mode', () => {
    for (const csp of [
      contentSecurityPolicy(),
      contentSecurityPolicy({ forMeta: true }),
      contentSecurityPolicy({ devServerUrl: 'http://localhost:5173' }),
    ]) {
      expect(csp).not.toContain('unsafe-eval');
      expect(directive(csp, 'script-src')).toBe("script-src 'self'");
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("object-src 'none'");
    }
  });
  it('is strict for styles in production and loosens them (plus HMR) only for the dev server', () => {
    expect(contentSecurityPolicy()).not.toContain('unsafe-inline');
    const dev = contentSecurityPolicy({ devServerUrl: 'http://localhost:5173' });
    expect(directive(dev, 'style-src')).toBe("style-src 'self' 'unsafe-inline'");
    expect(directive(dev, 'connect-src')).toContain('ws://localhost:5173');
  });
  it('allows blob: and mediastream: media for previews', () => {
    expect(directive(contentSecurityPolicy(), 'media-src')).toBe("media-src 'self' blob: mediastream:");
  });
  it('puts frame-ancestors only in the header form', () => {
    expect(contentSecurityPolicy()).toContain("frame-ancestors 'none'");
    expect(contentSecurityPolicy({ forMeta: true })).not.toContain('frame-ancestors');
  });
  it('matches the meta tag in renderer/index.html', () => {
    const html = readFileSync(new URL('../../../renderer/index.html', import.meta.url), 'utf8');
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]*)"/.exec(html);
    expect(meta?.[1]).toBe(contentSecurityPolicy({ forMeta: true }));
  });
  it("names browser mode's bridge WebSocket of the page's own origin, and nothing else", () => {
    const csp = contentSecurityPolicy({ bridgeOrigin: 'http://127.0.0.1:8080' });
    expect(directive(csp, 'connect-src')).toBe("connect-src 'self' ws://127.0.0.1:8080");
    expect(directive(csp, 'worker-src')).toBe("worker-src 'self'");
    expect(directive(csp, 'script-src')).toBe("script-src 'self'");
    expect(webSocketOriginFor('https://localhost:9000')).toBe('wss://localhost:9000');
    expect(webSocketOriginFor('app://studio')).toBeNull();
    expect(directive(contentSecurityPolicy({ bridgeOrigin: 'javascript:x' }), 'connect-src')).toBe(
      "connect-src 'self'",
    );
  });
  it('travels with nosniff in the response headers', () => {
    const headers = securityHeaders('x');
    expect(headers['Content-Security-Policy']).toBe('x');
    expect(headers['X-Content-Type-Options']).toBe('nosniff');
  });
});

describe('isPermissionAllowed', () => {
  const ask = (permission: string, extra: Partial<Parameters<typeof isPermissionAllowed>[0]> = {}) =>
    isPermissionAllowed(
      { permission, requestingUrl: 'app://studio/index.html', isMainFrame: true, ...extra },
      prodTrusted,
    );

  it('grants camera, microphone and screen capture to our own top frame', () => {
    expect(ask('media', { mediaTypes: ['video'] })).toBe(true);
    expect(ask('media', { mediaTypes: ['audio', 'video'] })).toBe(true);
    expect(ask('display-capture')).toBe(true);
  });
  it('denies media without a known device type', () => {
    expect(ask('media')).toBe(false);
    expect(ask('media', { mediaTypes: [] })).toBe(false);
    expect(ask('media', { mediaTypes: ['unknown'] })).toBe(false);
  });
  it('denies everything else', () => {
    for (const permission of [
      'notifications',
      'geolocation',
      'clipboard-read',
      'openExternal',
      'midiSysex',
      'hid',
      'usb',
      'serial',
      'fileSystem',
      'unknown',
    ]) {
      expect(ask(permission)).toBe(false);
    }
  });
  it('denies foreign origins, sub-frames and missing URLs', () => {
    expect(ask('media', { mediaTypes: ['video'], requestingUrl: 'https://evil.example/' })).toBe(false);
    expect(ask('display-capture', { requestingUrl: 'file:///tmp/x.html' })).toBe(false);
    expect(ask('display-capture', { requestingUrl: undefined })).toBe(false);
    expect(ask('media', { mediaTypes: ['video'], isMainFrame: false })).toBe(false);
  });
  it('accepts a bare origin as in permission checks', () => {
    expect(ask('media', { mediaTypes: ['audio'], requestingUrl: 'app://studio' })).toBe(true);
  });
});

describe('navigation and IPC senders', () => {
  it('allows navigation only within trusted origins', () => {
    expect(isNavigationAllowed('app://studio/index.html#x', prodTrusted)).toBe(true);
    expect(isNavigationAllowed('https://example.com/', prodTrusted)).toBe(false);
    expect(isNavigationAllowed('app://other/index.html', prodTrusted)).toBe(false);
    expect(isNavigationAllowed('http://localhost:5173/', prodTrusted)).toBe(false);
    expect(isNavigationAllowed('http://localhost:5173/', devTrusted)).toBe(true);
  });
  it('accepts only the top frame of our own page', () => {
    expect(isTrustedSender({ url: 'app://studio/index.html', parent: null }, prodTrusted)).toBe(true);
    expect(isTrustedSender({ url: 'app://studio/index.html', parent: {} }, prodTrusted)).toBe(false);
    expect(isTrustedSender({ url: 'https://evil.example/', parent: null }, prodTrusted)).toBe(false);
    expect(isTrustedSender({ url: 'file:///index.html', parent: null }, prodTrusted)).toBe(false);
    expect(isTrustedSender({ url: '', parent: null }, prodTrusted)).toBe(false);
    expect(isTrustedSender(null, prodTrusted)).toBe(false);
    expect(isTrustedSender(undefined, prodTrusted)).toBe(false);
  });
});

describe('isDisplayCaptureAllowed', () => {
  const request = {
    frameUrl: 'app://studio/index.html' as string | null,
    isMainFrame: true,
    securityOrigin: 'app://studio',
    videoRequested: true,
    userGesture: true,
  };
  it('grants screen capture to our own top frame after a user gesture', () => {
    expect(isDisplayCaptureAllowed(request, prodTrusted)).toBe(true);
  });
  it('denies other origins, sub-frames, destroyed frames, audio-only and gesture-less requests', () => {
    for (const change of [
      { frameUrl: 'https://evil.example/' },
      { securityOrigin: 'https://evil.example' },
      { frameUrl: null },
      { isMainFrame: false },
      { videoRequested: false },
      { userGesture: false },
    ]) {
      expect(isDisplayCaptureAllowed({ ...request, ...change }, prodTrusted)).toBe(false);
    }
  });
});
