// Minimal DER (X.690) encoder: just the universal types one self-signed X.509 certificate needs.
// Node 20 can sign and parse certificates but not build them, and a full ASN.1 library would be a
// large dependency for ~60 lines of tag-length-value encoding.

/** One encoded TLV; nesting is done by passing encoded children to the constructed helpers. */
export type Der = Uint8Array;

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Definite-length encoding: short form below 128, otherwise long form with minimal octets. */
function encodeLength(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  const octets: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) octets.unshift(n % 256);
  return Uint8Array.of(0x80 | octets.length, ...octets);
}

export function tlv(tag: number, content: Uint8Array): Der {
  return concat([Uint8Array.of(tag), encodeLength(content.length), content]);
}

export const sequence = (...children: Der[]): Der => tlv(0x30, concat(children));
export const set = (...children: Der[]): Der => tlv(0x31, concat(children));
export const nullValue = (): Der => tlv(0x05, new Uint8Array(0));
export const boolean = (value: boolean): Der => tlv(0x01, Uint8Array.of(value ? 0xff : 0x00));
export const octetString = (content: Uint8Array): Der => tlv(0x04, content);
export const utf8String = (text: string): Der => tlv(0x0c, new TextEncoder().encode(text));

/** BIT STRING with no unused bits (signatures and keys are whole octets). */
export const bitString = (content: Uint8Array): Der => tlv(0x03, concat([Uint8Array.of(0), content]));

/** [n] EXPLICIT wrapper (constructed, context-specific). */
export const explicit = (n: number, inner: Der): Der => tlv(0xa0 | n, inner);

/** [n] IMPLICIT primitive (context-specific), e.g. GeneralName dNSName [2] / iPAddress [7]. */
export const implicitPrimitive = (n: number, content: Uint8Array): Der => tlv(0x80 | n, content);

/**
 * Non-negative INTEGER from big-endian magnitude bytes: leading zeros are stripped and a 0x00 is
 * prepended when the top bit is set, so the value is never read as negative.
 */
export function unsignedInteger(magnitude: Uint8Array): Der {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  let body = magnitude.subarray(start);
  if (body.length === 0) body = Uint8Array.of(0);
  if ((body[0] ?? 0) & 0x80) body = concat([Uint8Array.of(0), body]);
  return tlv(0x02, body);
}

export const smallInteger = (value: number): Der => unsignedInteger(Uint8Array.of(value));

/** OBJECT IDENTIFIER from dotted form; arcs after the first two use base-128 continuation. */
export function objectIdentifier(dotted: string): Der {
  const arcs = dotted.split('.').map((s) => {
    if (!/^\d+$/.test(s)) throw new Error(`invalid OID arc in ${dotted}`);
    return Number(s);
  });
  const [first, second, ...rest] = arcs;
  if (first === undefined || second === undefined || first > 2) throw new Error(`invalid OID ${dotted}`);
  const bytes: number[] = [];
  for (const arc of [first * 40 + second, ...rest]) {
    const group: number[] = [arc & 0x7f];
    for (let n = Math.floor(arc / 128); n > 0; n = Math.floor(n / 128)) group.unshift(0x80 | (n & 0x7f));
    bytes.push(...group);
  }
  return tlv(0x06, Uint8Array.from(bytes));
}

/**
 * X.509 Time (RFC 5280 §4.1.2.5): UTCTime through 2049, GeneralizedTime from 2050, always UTC
 * with seconds and no fractions.
 */
export function time(date: Date): Der {
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  const rest =
    pad(date.getUTCMonth() + 1) +
    pad(date.getUTCDate()) +
    pad(date.getUTCHours()) +
    pad(date.getUTCMinutes()) +
    pad(date.getUTCSeconds()) +
    'Z';
  const year = date.getUTCFullYear();
  if (year >= 1950 && year < 2050) return tlv(0x17, new TextEncoder().encode(pad(year % 100) + rest));
  return tlv(0x18, new TextEncoder().encode(pad(year, 4) + rest));
}
