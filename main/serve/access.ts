// Who may open browser mode's bridge WebSocket. Three checks, all before the upgrade: the Host header
// names this server (a DNS-rebinding page cannot pose as it), the Origin is this server's own origin
// as the browser addressed it (no other site's page can connect), and the request carries the random
// token the CLI printed (no other local user or program can connect). Pure functions; server.ts wires them.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { networkInterfaces } from 'node:os';

/** 256 bits, URL-safe: it travels in the page's query string. */
export function createAccessToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Constant-time comparison (hashing first makes the lengths equal, so the length leaks nothing). */
export function tokenMatches(presented: string | null, expected: string): boolean {
  if (presented === null) return false;
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(presented), digest(expected));
}

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

function isLoopbackHost(host: string): boolean {
  return host === '127.0.0.1' || host === '::1' || host === 'localhost';
}

function isWildcardHost(host: string): boolean {
  return host === '0.0.0.0' || host === '::';
}

/** `host` as it appears in a URL authority (IPv6 literals in brackets). */
export function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/**
 * The Host header values (host:port, lowercase) under which this server may be addressed. A loopback
 * bind answers to every loopback name; a wildcard bind to those and each local interface address.
 */
export function allowedHosts(bindHost: string, port: number): ReadonlySet<string> {
  const names = new Set<string>();
  if (isLoopbackHost(bindHost) || isWildcardHost(bindHost)) {
    for (const name of LOOPBACK_NAMES) names.add(name);
  }
  if (isWildcardHost(bindHost)) {
    for (const addresses of Object.values(networkInterfaces())) {
      for (const address of addresses ?? []) names.add(urlHost(address.address));
    }
  } else {
    names.add(urlHost(bindHost));
  }
  return new Set([...names].map((name) => `${name.toLowerCase()}:${port}`));
}

export type AccessRefusal =
  | { status: 403; reason: 'unknown host' | 'cross-origin request' }
  | { status: 401; reason: 'missing or wrong token' };

export interface AccessRequest {
  readonly host: string | undefined;
  readonly origin: string | undefined;
  readonly token: string | null;
}

/** null when the WebSocket may open; otherwise the HTTP status and reason to refuse it with. */
export function checkBridgeAccess(
  request: AccessRequest,
  policy: { scheme: 'http' | 'https'; hosts: ReadonlySet<string>; token: string },
): AccessRefusal | null {
  const host = request.host?.toLowerCase();
  if (!host || !policy.hosts.has(host)) return { status: 403, reason: 'unknown host' };
  // Browsers always send Origin on WebSocket handshakes; it must be exactly the page's own origin.
  if (request.origin !== `${policy.scheme}://${host}`) return { status: 403, reason: 'cross-origin request' };
  if (!tokenMatches(request.token, policy.token)) return { status: 401, reason: 'missing or wrong token' };
  return null;
}

/**
 * Profile names become folder names: short, no dots or separators, and lowercase only so two names
 * never share one folder on a case-insensitive file system.
 */
const PROFILE_PATTERN = /^[a-z0-9][a-z0-9_-]{0,31}$/;
export const DEFAULT_PROFILE = 'default';

/** The profile a request names (default 'default'), or null if the name is not acceptable. */
export function parseProfile(value: string | null): string | null {
  if (value === null || value === '') return DEFAULT_PROFILE;
  return PROFILE_PATTERN.test(value) ? value : null;
}
