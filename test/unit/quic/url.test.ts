// moqt:// relay URLs and the IP literal parser they rely on.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIPv4, parseIPv6 } from '../../../main/quic/ip.js';
import { MoqtUrlError, formatMoqtUrl, parseMoqtUrl } from '../../../main/quic/url.js';
import { normalizeFingerprint } from '../../../main/quic/trust.js';

const FP = 'ab'.repeat(32);

describe('parseMoqtUrl', () => {
  it.each([
    ['moqt://relay.example/live', { host: 'relay.example', hostKind: 'dns', port: 443, path: '/live' }],
    ['moqt://Relay.Example:4443', { host: 'relay.example', hostKind: 'dns', port: 4443, path: '/' }],
    ['moqt://127.0.0.1:9000/a/b', { host: '127.0.0.1', hostKind: 'ipv4', port: 9000, path: '/a/b' }],
    ['moqt://[::1]:4443/x', { host: '::1', hostKind: 'ipv6', port: 4443, path: '/x' }],
    ['moqt://[2001:DB8::1]/', { host: '2001:db8::1', hostKind: 'ipv6', port: 443, path: '/' }],
    [
      `  moqt://localhost:4443/room?fp=${FP}  `,
      { host: 'localhost', port: 4443, path: '/room', fingerprint: FP },
    ],
  ])('parses %s', (input, expected) => {
    expect(parseMoqtUrl(input)).toMatchObject(expected);
  });

  it('normalises a fingerprint given with colons and upper case', () => {
    const colons = FP.toUpperCase().replace(/(..)(?!$)/g, '$1:');
    expect(parseMoqtUrl(`moqt://h/?fp=${colons}`).fingerprint).toBe(FP);
  });

  it.each([
    ['https://relay.example/', /scheme must be moqt/],
    ['relay.example:443', /scheme must be moqt|expected moqt/],
    ['moqt:relay.example', /expected moqt:\/\//],
    ['moqt://', /missing host|malformed/],
    ['moqt://::1/', /brackets|malformed/],
    ['moqt://[::1/', /malformed|IPv6/],
    ['moqt://[fe80::1%25eth0]/', /malformed|IPv6/],
    ['moqt://host:0/', /out of range/],
    ['moqt://host:70000/', /malformed|out of range/],
    ['moqt://user:pw@host/', /credentials/],
    ['moqt://host/#frag', /fragments/],
    ['moqt://10.1/', /bad IPv4/],
    ['moqt://256.1.1.1/', /bad IPv4|malformed/],
    ['moqt://bad_host/', /bad host name/],
    ['moqt://-a.example/', /bad host name/],
    ['moqt://host/?fp=abc', /64 hex digits/],
    [`moqt://host/?fp=${FP}&fp=${FP}`, /more than once/],
    ['moqt://host/?fingerprint=x', /unknown parameter fingerprint/],
  ])('rejects %s with a clear error', (input, message) => {
    let error: unknown;
    try {
      parseMoqtUrl(input);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MoqtUrlError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toContain(JSON.stringify(input));
  });

  it('formats canonically and round-trips', () => {
    const url = parseMoqtUrl(`moqt://[::1]:443/live?fp=${FP}`);
    expect(formatMoqtUrl(url)).toBe(`moqt://[::1]/live?fp=${FP}`);
    expect(parseMoqtUrl(formatMoqtUrl(url))).toEqual(url);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.ipV4(),
          fc.domain().map((d) => d.toLowerCase()),
        ),
        fc.integer({ min: 1, max: 65535 }),
        (host, port) => {
          const parsed = parseMoqtUrl(`moqt://${host}:${port}/p`);
          expect(parseMoqtUrl(formatMoqtUrl(parsed))).toEqual(parsed);
        },
      ),
    );
  });
});

describe('IP literals', () => {
  it('parses IPv4 strictly', () => {
    expect([...(parseIPv4('192.168.0.1') ?? [])]).toEqual([192, 168, 0, 1]);
    for (const bad of ['1.2.3', '01.2.3.4', '1.2.3.256', '1.2.3.4.5', 'a.b.c.d', '']) {
      expect(parseIPv4(bad)).toBeUndefined();
    }
    fc.assert(
      fc.property(fc.ipV4(), (ip) => {
        expect([...(parseIPv4(ip) ?? [])].join('.')).toBe(ip);
      }),
    );
  });

  it('parses IPv6 text forms and agrees with the WHATWG URL parser', () => {
    expect([...(parseIPv6('::1') ?? [])]).toEqual([...new Array<number>(15).fill(0), 1]);
    expect(parseIPv6('::ffff:1.2.3.4')?.subarray(10)).toEqual(Uint8Array.of(255, 255, 1, 2, 3, 4));
    for (const bad of ['1::2::3', '1:2:3:4:5:6:7:8:9', '1.2.3.4::', '12345::', ':1', 'fe80::1%eth0', '']) {
      expect(parseIPv6(bad)).toBeUndefined();
    }
    const canonical = (bytes: Uint8Array) =>
      new URL(
        `http://[${Buffer.from(bytes)
          .toString('hex')
          .replace(/(....)(?!$)/g, '$1:')}]`,
      ).hostname;
    fc.assert(
      fc.property(fc.ipV6(), (ip) => {
        const bytes = parseIPv6(ip);
        expect(bytes).toBeDefined();
        expect(canonical(bytes as Uint8Array)).toBe(new URL(`http://[${ip}]`).hostname);
      }),
    );
  });

  it('normalises fingerprints and rejects non-SHA-256 text', () => {
    expect(normalizeFingerprint(FP.toUpperCase())).toBe(FP);
    expect(() => normalizeFingerprint('zz')).toThrow(/64 hex digits/);
  });
});
