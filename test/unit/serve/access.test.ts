// Browser mode's access decisions (main/serve/access.ts) as pure functions: tokens, the Host and
// Origin rules per bind address, and profile names that are safe as folder names.
import { describe, expect, it } from 'vitest';
import {
  allowedHosts,
  checkBridgeAccess,
  createAccessToken,
  parseProfile,
  tokenMatches,
} from '../../../main/serve/access.js';

describe('access tokens', () => {
  it('are 256-bit, URL-safe and fresh each time', () => {
    const token = createAccessToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(createAccessToken()).not.toBe(token);
  });
  it('match only exactly', () => {
    expect(tokenMatches('abc', 'abc')).toBe(true);
    for (const presented of [null, '', 'ab', 'abcd', 'ABC', ' abc'])
      expect(tokenMatches(presented, 'abc')).toBe(false);
  });
});

describe('allowedHosts', () => {
  it('answers to every loopback name on a loopback bind, and nothing else', () => {
    expect([...allowedHosts('127.0.0.1', 8080)].sort()).toEqual([
      '127.0.0.1:8080',
      '[::1]:8080',
      'localhost:8080',
    ]);
  });
  it('names a specific address as in a URL', () => {
    expect([...allowedHosts('192.0.2.7', 1)]).toEqual(['192.0.2.7:1']);
    expect([...allowedHosts('fe80::1', 1)]).toEqual(['[fe80::1]:1']);
  });
  it('adds the local interface addresses on a wildcard bind', () => {
    const hosts = allowedHosts('0.0.0.0', 9);
    expect(hosts.has('localhost:9')).toBe(true);
    expect(hosts.has('127.0.0.1:9')).toBe(true);
    expect(hosts.has('evil.example:9')).toBe(false);
  });
});

describe('checkBridgeAccess', () => {
  const policy = { scheme: 'http' as const, hosts: allowedHosts('127.0.0.1', 8080), token: 't' };
  const ok = { host: '127.0.0.1:8080', origin: 'http://127.0.0.1:8080', token: 't' };
  it('lets the page of this origin with the token in', () => {
    expect(checkBridgeAccess(ok, policy)).toBeNull();
    expect(
      checkBridgeAccess({ ...ok, host: 'LOCALHOST:8080', origin: 'http://localhost:8080' }, policy),
    ).toBeNull();
  });
  it('checks host, then origin, then token', () => {
    expect(checkBridgeAccess({ ...ok, host: 'evil.example:8080' }, policy)).toEqual({
      status: 403,
      reason: 'unknown host',
    });
    expect(checkBridgeAccess({ ...ok, host: undefined }, policy)?.status).toBe(403);
    expect(checkBridgeAccess({ ...ok, origin: undefined }, policy)).toEqual({
      status: 403,
      reason: 'cross-origin request',
    });
    expect(checkBridgeAccess({ ...ok, origin: 'null' }, policy)?.status).toBe(403);
    expect(checkBridgeAccess({ ...ok, origin: 'https://127.0.0.1:8080' }, policy)?.status).toBe(403);
    expect(checkBridgeAccess({ ...ok, token: null }, policy)).toEqual({
      status: 401,
      reason: 'missing or wrong token',
    });
  });
});

describe('parseProfile', () => {
  it("defaults to 'default' and accepts short lowercase names", () => {
    expect(parseProfile(null)).toBe('default');
    expect(parseProfile('')).toBe('default');
    expect(parseProfile('viewer-2_b')).toBe('viewer-2_b');
  });
  it('refuses anything that is not a plain folder name', () => {
    for (const name of [
      '..',
      '.',
      'a/b',
      'a\\b',
      'Producer',
      '-x',
      '_x',
      'a'.repeat(33),
      'ü',
      'a b',
      'nul\0',
    ]) {
      expect(parseProfile(name), name).toBeNull();
    }
  });
});
