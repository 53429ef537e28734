// The app:// scheme that serves the built renderer (out/renderer) instead of file://, so the UI has a
// real origin for CSP, permission and IPC-sender checks, and every response carries our security headers.
import { readFile } from 'node:fs/promises';
import { protocol } from 'electron';
import { contentTypeFor, resolveAppAsset } from './asset-resolver.js';
import { APP_SCHEME, contentSecurityPolicy, securityHeaders } from './security-policy.js';

/**
 * Must run before `app` is ready, and only once: registerSchemesAsPrivileged replaces earlier calls.
 * `secure` makes app:// a secure context (getUserMedia requires one). `corsEnabled` is left off on
 * purpose: it would let other origins read our responses.
 */
export function registerAppSchemePrivileges(): void {
  protocol.registerSchemesAsPrivileged([
    {
      scheme: APP_SCHEME,
      privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true, codeCache: true },
    },
  ]);
}

/** Serves files under `rendererDir` on app://studio/; everything else is 404, non-GET is 405. */
export function serveRenderer(rendererDir: string): void {
  const headers = securityHeaders(contentSecurityPolicy());
  protocol.handle(APP_SCHEME, async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return new Response(null, { status: 405 });
    const filePath = resolveAppAsset(request.url, rendererDir);
    if (filePath === null) return new Response('Not found', { status: 404, headers });
    let body: Uint8Array;
    try {
      body = await readFile(filePath);
    } catch {
      return new Response('Not found', { status: 404, headers });
    }
    return new Response(body as Uint8Array<ArrayBuffer>, {
      headers: { ...headers, 'Content-Type': contentTypeFor(filePath) },
    });
  });
}
