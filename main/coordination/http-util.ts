// Small HTTP helpers for the service: bounded body reading (the limit holds while streaming) and
// uniform JSON error bodies, so every rejection says which rule was broken.
import type { IncomingMessage, ServerResponse } from 'node:http';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Bytes we keep swallowing after a 413 so the client can read the answer; beyond it we hang up. */
const DRAIN_CAP = 16 * 1024 * 1024;

/** Reads and throws the rest of a request away, up to DRAIN_CAP, so a response can be read. */
export function discardBody(req: IncomingMessage): void {
  if (req.complete || req.readableEnded) return;
  let seen = 0;
  req.removeAllListeners('data');
  req.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > DRAIN_CAP) req.destroy();
  });
  req.on('error', () => {});
  req.resume();
}

/** Reads the body, never holding more than `limit` bytes; throws 413 as soon as it is exceeded. */
export function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    discardBody(req);
    return Promise.reject(
      new HttpError(413, 'body-too-large', `body of ${declared} bytes exceeds the ${limit}-byte limit`),
    );
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      if (total > limit) {
        cleanup();
        discardBody(req);
        reject(new HttpError(413, 'body-too-large', `body exceeds the ${limit}-byte limit`));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(new Uint8Array(Buffer.concat(chunks, total)));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(new HttpError(400, 'body-aborted', `request body aborted: ${error.message}`));
    };
    const onClose = () => {
      if (!req.complete) onError(new Error('connection closed'));
    };
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/** JSON-safe numbers: epochs and counters are uint64 but in practice far below 2^53. */
export function jsonNumber(value: bigint): number | string {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

/** The media type without parameters, lower-cased; '' when absent. */
export function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}
