// Maps app://studio/<path> requests (and browser mode's HTTP paths, main/serve) onto files under the
// built renderer folder (out/renderer), refusing anything that would resolve outside it. Pure (path
// module injectable) so traversal tests can run the Windows rules on any machine.
import path from 'node:path';
import { APP_HOST, APP_SCHEME } from './security-policy.js';

type PathApi = Pick<typeof path, 'resolve' | 'sep'>;

/** Absolute file path for a request URL, or null if the URL is not ours or escapes `rootDir`. */
export function resolveAppAsset(requestUrl: string, rootDir: string, pathApi: PathApi = path): string | null {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return null;
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST || url.username || url.password) return null;

  return resolveAssetPath(url.pathname, rootDir, pathApi);
}

/**
 * Absolute file path for a URL path (still percent-encoded) under `rootDir`, or null if it escapes it.
 * Shared with browser mode's HTTP server (main/serve/static-files.ts).
 */
export function resolveAssetPath(urlPath: string, rootDir: string, pathApi: PathApi = path): string | null {
  let pathname: string;
  try {
    pathname = decodeURIComponent(urlPath);
  } catch {
    return null; // malformed percent-encoding
  }
  if (pathname.includes('\0')) return null;
  if (pathname === '' || pathname.endsWith('/')) pathname += 'index.html';

  // Resolve relative to the root and require the result to stay strictly inside it. This catches
  // "..", encoded "%2e%2e%2f", backslashes on Windows and absolute or drive-letter paths alike.
  const root = pathApi.resolve(rootDir);
  const resolved = pathApi.resolve(root, '.' + pathApi.sep + pathname.replace(/^[/\\]+/, ''));
  return resolved.startsWith(root + pathApi.sep) ? resolved : null;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Content type by extension; unknown files are served as opaque bytes (with nosniff, never executed). */
export function contentTypeFor(filePath: string): string {
  return CONTENT_TYPES[path.extname(filePath).toLowerCase()] ?? 'application/octet-stream';
}
