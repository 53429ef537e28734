// Serves the built renderer (out/renderer) over HTTP for browser mode: GET/HEAD only, paths resolved
// with the same traversal-proof resolver as the app:// protocol, MIME types by extension with nosniff,
// and the app's strict security headers (CSP included) on every answer, errors too.
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { contentTypeFor, resolveAssetPath } from '../app/asset-resolver.js';

/** Larger files are not part of a renderer build; refusing them bounds what one request can read. */
const MAX_ASSET_BYTES = 64 * 1024 * 1024;

function send(
  response: ServerResponse,
  status: number,
  headers: Readonly<Record<string, string>>,
  body: string | Uint8Array,
  headOnly: boolean,
): void {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  response.writeHead(status, { ...headers, 'Content-Length': String(bytes.length) });
  response.end(headOnly ? undefined : bytes);
}

export async function serveStaticFile(
  request: IncomingMessage,
  response: ServerResponse,
  rootDir: string,
  securityHeaders: Readonly<Record<string, string>>,
): Promise<void> {
  const text = {
    ...securityHeaders,
    'Content-Type': 'text/plain; charset=utf-8',
    'Cache-Control': 'no-store',
  };
  const headOnly = request.method === 'HEAD';
  if (request.method !== 'GET' && !headOnly) {
    send(response, 405, { ...text, Allow: 'GET, HEAD' }, 'Method not allowed\n', false);
    return;
  }
  // Only the path matters; the query (profile, token) is for the page's script.
  const rawPath = (request.url ?? '/').split('?')[0]!.split('#')[0]!;
  const filePath = rawPath.startsWith('/') ? resolveAssetPath(rawPath, rootDir) : null;
  if (filePath === null) {
    send(response, 404, text, 'Not found\n', headOnly);
    return;
  }
  try {
    const info = await stat(filePath);
    if (!info.isFile() || info.size > MAX_ASSET_BYTES) throw new Error('not a servable file');
    const body = await readFile(filePath);
    send(
      response,
      200,
      // no-cache: revalidate, so a rebuilt renderer is picked up on reload.
      { ...securityHeaders, 'Content-Type': contentTypeFor(filePath), 'Cache-Control': 'no-cache' },
      body,
      headOnly,
    );
  } catch {
    send(response, 404, text, 'Not found\n', headOnly);
  }
}
