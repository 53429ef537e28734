// `moqt://host:port/path?fp=<sha256>` relay addresses: what users paste to join a broadcast.
// Strict on purpose: a typo in a security parameter must fail loudly rather than silently fall
// back to a weaker trust mode. No Node imports, so the renderer can validate input too.
import { parseIPv4, parseIPv6 } from './ip.js';

export const MOQT_SCHEME = 'moqt';
export const MOQT_DEFAULT_PORT = 443;

export interface MoqtUrl {
  /** IP literal (IPv6 without brackets) or lowercase DNS name. */
  readonly host: string;
  readonly hostKind: 'ipv4' | 'ipv6' | 'dns';
  readonly port: number;
  /** Path sent in CLIENT_SETUP, percent-encoded as typed; '/' when absent. */
  readonly path: string;
  /** Pinned certificate SHA-256, lowercase hex without colons. */
  readonly fingerprint?: string;
}

export class MoqtUrlError extends Error {
  constructor(
    readonly input: string,
    problem: string,
  ) {
    super(`invalid MoQT URL ${JSON.stringify(input)}: ${problem}`);
    this.name = 'MoqtUrlError';
  }
}

const KNOWN_PARAMS = ['fp'];
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

function parseHost(raw: string, fail: (problem: string) => never): Pick<MoqtUrl, 'host' | 'hostKind'> {
  if (raw.startsWith('[')) {
    const inner = raw.slice(1, -1);
    if (!raw.endsWith(']') || !parseIPv6(inner)) fail(`bad IPv6 address ${raw}`);
    return { host: inner.toLowerCase(), hostKind: 'ipv6' };
  }
  const host = raw.toLowerCase();
  if (host.includes(':')) fail('IPv6 addresses must be in brackets, e.g. moqt://[::1]:4443/');
  const labels = host.split('.');
  // WHATWG treats a host whose last label is numeric as IPv4, so "10.1" must not become a name.
  if (/^(\d+|0x[0-9a-f]*)$/.test(labels[labels.length - 1] ?? '')) {
    if (!parseIPv4(host)) fail(`bad IPv4 address ${raw}`);
    return { host, hostKind: 'ipv4' };
  }
  if (host.length > 253 || !labels.every((l) => DNS_LABEL.test(l))) fail(`bad host name ${raw}`);
  return { host, hostKind: 'dns' };
}

/** Parses and validates a relay URL; throws MoqtUrlError saying what is wrong. */
export function parseMoqtUrl(input: string): MoqtUrl {
  const fail = (problem: string): never => {
    throw new MoqtUrlError(input, problem);
  };
  const text = input.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(text)?.[1]?.toLowerCase();
  if (scheme !== MOQT_SCHEME) {
    fail(scheme ? `scheme must be moqt://, not ${scheme}://` : 'expected moqt://host:port/path');
  }
  if (!/^moqt:\/\//i.test(text)) fail('expected moqt://host:port/path');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return fail('malformed URL (check the host and port)');
  }
  if (url.username || url.password) fail('credentials in the URL are not supported');
  if (url.hash) fail('fragments (#…) are not supported');
  if (!url.hostname) fail('missing host');
  const { host, hostKind } = parseHost(url.hostname, fail);

  let port = MOQT_DEFAULT_PORT;
  if (url.port !== '') {
    port = Number(url.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`port ${url.port} out of range 1-65535`);
  }

  let fingerprint: string | undefined;
  for (const key of new Set(url.searchParams.keys())) {
    if (!KNOWN_PARAMS.includes(key)) fail(`unknown parameter ${key} (supported: ${KNOWN_PARAMS.join(', ')})`);
  }
  const fps = url.searchParams.getAll('fp');
  if (fps.length > 1) fail('fp given more than once');
  if (fps.length === 1) {
    const hex = (fps[0] ?? '').replace(/:/g, '').toLowerCase();
    if (!/^[0-9a-f]{64}$/.test(hex)) fail('fp must be a SHA-256 fingerprint: 64 hex digits');
    fingerprint = hex;
  }
  const path = url.pathname === '' ? '/' : url.pathname;
  return { host, hostKind, port, path, ...(fingerprint ? { fingerprint } : {}) };
}

/** The canonical text of a parsed URL (default port omitted, fingerprint normalised). */
export function formatMoqtUrl(url: MoqtUrl): string {
  const host = url.hostKind === 'ipv6' ? `[${url.host}]` : url.host;
  const port = url.port === MOQT_DEFAULT_PORT ? '' : `:${url.port}`;
  const query = url.fingerprint ? `?fp=${url.fingerprint}` : '';
  return `${MOQT_SCHEME}://${host}${port}${url.path}${query}`;
}
