// Incremental control and data stream parsers: any chunking (including byte-by-byte) must yield
// the same messages/objects as decoding the whole stream, and limits must be enforced early.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { concatBytes } from '../../../common/codec/bytes.js';
import { ControlStreamParser } from '../../../main/moqt/codec/draft18/control-parser.js';
import { encodeControlMessage } from '../../../main/moqt/codec/draft18/control.js';
import { DataStreamParser } from '../../../main/moqt/codec/draft18/data-stream-parser.js';
import type { DataStreamEvent } from '../../../main/moqt/codec/draft18/data-stream-parser.js';
import { encodeFetchStream } from '../../../main/moqt/codec/draft18/fetch-stream.js';
import type { FetchItem } from '../../../main/moqt/codec/draft18/fetch-stream.js';
import { encodeSubgroupStream } from '../../../main/moqt/codec/draft18/subgroup.js';
import type { SubgroupHeader, SubgroupObject } from '../../../main/moqt/codec/draft18/subgroup.js';
import { MoqtDecodeError } from '../../../main/moqt/codec/errors.js';
import { SessionErrorCode } from '../../../main/moqt/codec/error-codes.js';
import { bytes, controlMessage, frame, h } from './helpers.js';

function split(data: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let last = 0;
  for (const p of points) {
    chunks.push(data.subarray(last, p));
    last = p;
  }
  chunks.push(data.subarray(last));
  return chunks;
}

const header: SubgroupHeader = {
  kind: 'subgroup',
  trackAlias: 1n,
  groupId: 42n,
  subgroupIdMode: 'first-object',
  publisherPriority: 3,
  hasProperties: true,
  endOfGroup: true,
  firstObject: false,
};
const objects: SubgroupObject[] = [
  { objectId: 5n, properties: [{ type: 0x3en, value: 2n }], status: 0, payload: bytes('hello') },
  { objectId: 6n, properties: [], status: 0, payload: new Uint8Array(300).fill(7) },
  { objectId: 9n, properties: [], status: 3, payload: new Uint8Array(0) },
];

describe('ControlStreamParser', () => {
  it('yields the same messages for whole, byte-by-byte and random chunking', () => {
    fc.assert(
      fc.property(
        fc.array(controlMessage, { minLength: 1, maxLength: 4 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (msgs, cuts) => {
          const stream = concatBytes(...msgs.map(encodeControlMessage));
          const whole = new ControlStreamParser().push(stream);
          expect(whole).toEqual(msgs);
          const chunked = new ControlStreamParser();
          const out = split(stream, cuts).flatMap((c) => chunked.push(c));
          expect(out).toEqual(msgs);
          chunked.end();
          const bytewise = new ControlStreamParser();
          const one: unknown[] = [];
          for (const b of stream) one.push(...bytewise.push(Uint8Array.of(b)));
          expect(one).toEqual(msgs);
          expect(bytewise.buffered).toBe(0);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('refuses a declared Length above its limit before buffering the payload', () => {
    const parser = new ControlStreamParser({ maxMessageLength: 16 });
    let error: unknown;
    try {
      parser.push(h('03 0100')); // SUBSCRIBE claiming 256 bytes
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MoqtDecodeError);
    expect((error as MoqtDecodeError).kind).toBe('limit');
    expect(() => parser.push(h('00'))).toThrow(MoqtDecodeError); // stays failed
  });

  it('fails fast on an unknown type and on FIN inside a message', () => {
    expect(() => new ControlStreamParser().push(h('21 ffff'))).toThrow(MoqtDecodeError);
    const parser = new ControlStreamParser();
    expect(parser.push(frame('0e', '01 01 78').subarray(0, 4))).toEqual([]);
    expect(() => parser.end()).toThrow(MoqtDecodeError);
  });
});

describe('DataStreamParser', () => {
  const subgroupStream = encodeSubgroupStream(header, objects);
  const expected: DataStreamEvent[] = [
    { event: 'subgroupHeader', header },
    ...objects.map((object) => ({ event: 'subgroupObject' as const, subgroupId: 5n, object })),
  ];

  it('yields the header then each object, for any chunking', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 8 }), (cuts) => {
        const parser = new DataStreamParser();
        const events = split(subgroupStream, cuts).flatMap((c) => parser.push(c));
        expect(events).toEqual(expected);
        parser.end();
      }),
      { numRuns: 100 },
    );
    const parser = new DataStreamParser();
    const events: DataStreamEvent[] = [];
    for (const b of subgroupStream) events.push(...parser.push(Uint8Array.of(b)));
    expect(events).toEqual(expected);
  });

  it('parses fetch streams incrementally with the FETCH group order', () => {
    const items: FetchItem[] = [
      {
        kind: 'object',
        groupId: 9n,
        subgroupId: 1n,
        objectId: 0n,
        publisherPriority: 2,
        properties: [],
        payload: bytes('a'),
      },
      { kind: 'end-of-range', range: 'non-existent', groupId: 7n, objectId: 4n },
      {
        kind: 'object',
        groupId: 4n,
        objectId: 0n,
        publisherPriority: 2,
        properties: [],
        payload: bytes('bc'),
      },
    ];
    const stream = encodeFetchStream({ kind: 'fetch', requestId: 3n }, items, 'descending');
    const parser = new DataStreamParser({ fetchGroupOrder: 'descending' });
    const events: DataStreamEvent[] = [];
    for (const b of stream) events.push(...parser.push(Uint8Array.of(b)));
    expect(events).toEqual([
      { event: 'fetchHeader', header: { kind: 'fetch', requestId: 3n } },
      ...items.map((item) => ({ event: 'fetchItem', item })),
    ]);
    parser.end();
  });

  it('discards padding streams and rejects control streams', () => {
    const parser = new DataStreamParser();
    expect(parser.push(h('f0132b3e28 0000'))).toEqual([{ event: 'paddingHeader' }]);
    expect(parser.push(new Uint8Array(1000))).toEqual([]);
    expect(parser.buffered).toBe(0);
    parser.end();
    expect(() => new DataStreamParser().push(h('af00 0000'))).toThrow(MoqtDecodeError);
  });

  it('enforces payload and properties limits, and FIN mid-object is a PROTOCOL_VIOLATION', () => {
    const big = new DataStreamParser({ maxPayloadLength: 100 });
    expect(() => big.push(subgroupStream)).toThrow(MoqtDecodeError);
    const props = new DataStreamParser({ maxPropertiesLength: 1 });
    expect(() => props.push(subgroupStream)).toThrow(MoqtDecodeError);
    const fin = new DataStreamParser();
    fin.push(subgroupStream.subarray(0, 12));
    try {
      fin.end();
      expect.unreachable();
    } catch (error) {
      expect((error as MoqtDecodeError).sessionError).toBe(SessionErrorCode.PROTOCOL_VIOLATION);
    }
  });
});
