// Unit tests for the app:// → out/renderer file mapping: normal files resolve, every traversal or
// foreign URL is refused, on POSIX and Windows path rules alike.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { contentTypeFor, resolveAppAsset } from '../../../main/app/asset-resolver.js';

describe('resolveAppAsset (POSIX)', () => {
  const root = '/opt/studio/out/renderer';
  const resolve = (url: string) => resolveAppAsset(url, root, path.posix);

  it('maps paths under the root, with index.html for directories', () => {
    expect(resolve('app://studio/index.html')).toBe(`${root}/index.html`);
    expect(resolve('app://studio/')).toBe(`${root}/index.html`);
    expect(resolve('app://studio')).toBe(`${root}/index.html`);
    expect(resolve('app://studio/assets/index-abc.js?v=1#x')).toBe(`${root}/assets/index-abc.js`);
    expect(resolve('app://studio/assets/')).toBe(`${root}/assets/index.html`);
    expect(resolve('app://studio/a%20b.png')).toBe(`${root}/a b.png`);
  });

  it('refuses encoded traversal that the URL parser leaves alone', () => {
    for (const url of [
      'app://studio/%2E%2E%2Fmain%2Findex.js',
      'app://studio/assets/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc/passwd',
      'app://studio/..%2f..%2f..%2fetc%2fpasswd',
      'app://studio/..%2frenderer-evil/x.js',
    ]) {
      expect(resolve(url), url).toBeNull();
    }
  });

  it('keeps literal dot segments inside the root (the URL parser removes them, as Chromium does)', () => {
    expect(resolve('app://studio/../main/index.js')).toBe(`${root}/main/index.js`);
    expect(resolve('app://studio/assets/../../../../etc/passwd')).toBe(`${root}/etc/passwd`);
    expect(resolve('app://studio/%2e%2e/main/index.js')).toBe(`${root}/main/index.js`);
    expect(resolve('app://studio/%2e%2e')).toBe(`${root}/index.html`);
  });

  it('treats encoded absolute paths as relative to the root', () => {
    expect(resolve('app://studio/%2fetc%2fpasswd')).toBe(`${root}/etc/passwd`);
    expect(resolve('app://studio//etc/passwd')).toBe(`${root}/etc/passwd`);
  });

  it('refuses NUL bytes, bad encoding, other hosts, other schemes and credentials', () => {
    for (const url of [
      'app://studio/index.html%00.png',
      'app://studio/%E0%A4%A',
      'app://other/index.html',
      'app://studio.evil/index.html',
      'app://user:pw@studio/index.html',
      'file:///opt/studio/out/renderer/index.html',
      'https://studio/index.html',
      'not a url',
    ]) {
      expect(resolve(url), url).toBeNull();
    }
  });
});

describe('resolveAppAsset (Windows)', () => {
  const root = 'C:\\Program Files\\MoQ Studio\\resources\\app.asar\\out\\renderer';
  const resolve = (url: string) => resolveAppAsset(url, root, path.win32);

  it('maps normal paths', () => {
    expect(resolve('app://studio/assets/x.js')).toBe(`${root}\\assets\\x.js`);
  });

  it('refuses backslash and drive-letter escapes', () => {
    for (const url of [
      'app://studio/..%5c..%5cmain%5cindex.js',
      'app://studio/%5c..%5c..%5cWindows%5cwin.ini',
      'app://studio/assets%5c..%5c..%5c..%5cx',
    ]) {
      expect(resolve(url), url).toBeNull();
    }
  });

  it('keeps encoded drive letters inside the root', () => {
    const resolved = resolve('app://studio/C:%5cWindows%5cwin.ini');
    expect(resolved === null || resolved.startsWith(root + '\\')).toBe(true);
  });
});

describe('contentTypeFor', () => {
  it('knows the renderer file types and falls back to octet-stream', () => {
    expect(contentTypeFor('/r/index.html')).toBe('text/html; charset=utf-8');
    expect(contentTypeFor('/r/assets/index-abc.js')).toBe('text/javascript; charset=utf-8');
    expect(contentTypeFor('/r/assets/index.CSS')).toBe('text/css; charset=utf-8');
    expect(contentTypeFor('/r/x.wasm')).toBe('application/wasm');
    expect(contentTypeFor('/r/no-extension')).toBe('application/octet-stream');
    expect(contentTypeFor('/r/dir.js/file')).toBe('application/octet-stream');
  });
});
