// The JSON wire codec both ends of browser mode use (common/bridge/json-wire.ts): round trips of what
// structured clone would carry (bytes, undefined in argument lists), unambiguous tags, and strict,
// bounded decoding of hostile text.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeWire, encodeWire, MAX_WIRE_DEPTH, WireFormatError } from '../../../common/bridge/json-wire.js';

describe('json-wire', () => {
  it('round-trips JSON values, bytes and undefined arguments', () => {
    const value = {
      id: 1,
      args: [undefined, 'x', null, true, 1.5, [new Uint8Array([0, 255, 1])]],
      key: { baseKey: new Uint8Array(33).fill(7), epoch: 2 },
      empty: new Uint8Array(),
    };
    const back = decodeWire(encodeWire(value)) as typeof value;
    expect(back).toEqual(value);
    expect(back.args).toHaveLength(6);
    expect(back.key.baseKey).toBeInstanceOf(Uint8Array);
  });

  it('round-trips any bytes (base64 of every length)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        expect(decodeWire(encodeWire(bytes))).toEqual(bytes);
      }),
    );
  });

  it('keeps user objects that happen to use the tag key apart from tags', () => {
    const tricky = { $t: 'bytes', b64: 'AAAA' };
    expect(decodeWire(encodeWire(tricky))).toEqual(tricky);
    expect(decodeWire(encodeWire([tricky]))).toEqual([tricky]);
  });

  it('drops undefined object properties like JSON and refuses what JSON would corrupt', () => {
    expect(decodeWire(encodeWire({ a: undefined, b: 1 }))).toEqual({ b: 1 });
    for (const bad of [NaN, Infinity, 1n, () => 1, Symbol('x'), new Date(0), new Map(), new Uint16Array(2)]) {
      expect(() => encodeWire({ bad })).toThrow(WireFormatError);
    }
  });

  it('refuses bad JSON, unknown or malformed tags and bad base64', () => {
    for (const text of [
      '',
      '{',
      '{"$t":"bogus"}',
      '{"$t":"bytes"}',
      '{"$t":"bytes","b64":"A"}',
      '{"$t":"bytes","b64":"A=AA"}',
      '{"$t":"bytes","b64":"!!!!"}',
      '{"$t":"bytes","b64":"AAAA","extra":1}',
      '{"$t":"undefined","x":1}',
      '{"$t":"object","value":[1]}',
      '{"$t":"object","value":null}',
      '{"$t":1}',
    ]) {
      expect(() => decodeWire(text), text).toThrow(WireFormatError);
    }
  });

  it('never lets "__proto__" become a prototype', () => {
    const decoded = decodeWire('{"__proto__":{"polluted":true},"a":1}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
    expect((decoded as { polluted?: unknown }).polluted).toBeUndefined();
    expect(Object.hasOwn(decoded, '__proto__')).toBe(true);
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it('bounds nesting depth both ways', () => {
    const deep = '['.repeat(MAX_WIRE_DEPTH + 2) + ']'.repeat(MAX_WIRE_DEPTH + 2);
    expect(() => decodeWire(deep)).toThrow(/nested too deeply/);
    let value: unknown = 1;
    for (let i = 0; i < MAX_WIRE_DEPTH + 2; i++) value = [value];
    expect(() => encodeWire(value)).toThrow(/nested too deeply/);
  });
});
