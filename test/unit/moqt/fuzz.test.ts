// Fuzzing: random bytes and mutated valid frames (bit flips, truncations, inflated lengths) fed
// to every decoder and both incremental parsers. Each must return a value or throw MoqtDecodeError
// — never another exception, never loop.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ControlStreamParser } from '../../../main/moqt/codec/draft18/control-parser.js';
import { decodeControlMessage, encodeControlMessage } from '../../../main/moqt/codec/draft18/control.js';
import { DataStreamParser } from '../../../main/moqt/codec/draft18/data-stream-parser.js';
import { decodeDatagram, encodeDatagram } from '../../../main/moqt/codec/draft18/datagram.js';
import { decodeFetchItems, encodeFetchStream } from '../../../main/moqt/codec/draft18/fetch-stream.js';
import { decodeKeyValuePairs } from '../../../main/moqt/codec/draft18/key-value.js';
import { readObjectProperties, readTrackProperties } from '../../../main/moqt/codec/draft18/properties.js';
import {
  decodeSubgroupHeader,
  decodeSubgroupObjects,
  encodeSubgroupStream,
} from '../../../main/moqt/codec/draft18/subgroup.js';
import { bytes, controlMessage, mustReturnOrThrowTyped } from './helpers.js';

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'grow'; at: number; value: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  // Overwrite a byte with a large value, e.g. to inflate a length or count prefix.
  fc.record({
    kind: fc.constant('grow' as const),
    at: fc.nat(),
    value: fc.constantFrom(0x7f, 0xbf, 0xdf, 0xff, 0xfe),
  }),
);

function mutate(data: Uint8Array, mutations: Mutation[]): Uint8Array {
  let out = data.slice();
  for (const m of mutations) {
    if (out.length === 0) break;
    const at = m.at % out.length;
    if (m.kind === 'flip') out[at]! ^= 1 << m.bit;
    else if (m.kind === 'truncate') out = out.subarray(0, at);
    else out[at] = m.value;
  }
  return out;
}

const sampleSubgroup = encodeSubgroupStream(
  {
    kind: 'subgroup',
    trackAlias: 9n,
    groupId: 3n,
    subgroupIdMode: 'explicit',
    subgroupId: 1n,
    hasProperties: true,
    endOfGroup: false,
    firstObject: true,
  },
  [
    {
      objectId: 0n,
      properties: [
        { type: 0x3cn, value: 1n },
        { type: 0x0bn, value: Uint8Array.of(0x3e, 0x02) },
      ],
      status: 0,
      payload: bytes('abc'),
    },
    { objectId: 4n, properties: [], status: 4, payload: new Uint8Array(0) },
  ],
);
const sampleFetch = encodeFetchStream({ kind: 'fetch', requestId: 1n }, [
  {
    kind: 'object',
    groupId: 2n,
    subgroupId: 5n,
    objectId: 1n,
    publisherPriority: 9,
    properties: [{ type: 1n, value: bytes('x') }],
    payload: bytes('hi'),
  },
  { kind: 'end-of-range', range: 'unknown', groupId: 4n, objectId: 2n },
  { kind: 'object', groupId: 4n, objectId: 3n, publisherPriority: 9, properties: [], payload: bytes('z') },
]);
const sampleDatagram = encodeDatagram({
  kind: 'object',
  trackAlias: 1n,
  groupId: 2n,
  objectId: 3n,
  publisherPriority: 4,
  endOfGroup: true,
  properties: [{ type: 2n, value: 5n }],
  payload: bytes('payload'),
});

function feedAll(data: Uint8Array, chunk: number): void {
  mustReturnOrThrowTyped(() => {
    const control = new ControlStreamParser();
    for (let i = 0; i < data.length; i += chunk) control.push(data.subarray(i, i + chunk));
    control.end();
  });
  mustReturnOrThrowTyped(() => {
    const stream = new DataStreamParser({ maxPayloadLength: 1 << 16 });
    for (let i = 0; i < data.length; i += chunk) stream.push(data.subarray(i, i + chunk));
    stream.end();
  });
}

function everyDecoder(data: Uint8Array): void {
  mustReturnOrThrowTyped(() => decodeControlMessage(data));
  mustReturnOrThrowTyped(() => decodeDatagram(data));
  mustReturnOrThrowTyped(() => decodeSubgroupHeader(data));
  mustReturnOrThrowTyped(() => decodeFetchItems(data));
  mustReturnOrThrowTyped(() => decodeFetchItems(data, 'descending'));
  mustReturnOrThrowTyped(() => {
    const pairs = decodeKeyValuePairs(data);
    readTrackProperties(pairs);
    readObjectProperties(pairs);
  });
  for (const type of [0x10, 0x11, 0x35]) {
    mustReturnOrThrowTyped(() => {
      const header = decodeSubgroupHeader(
        Uint8Array.of(type, 1, 1, ...(type & 0x04 ? [1] : []), ...(type & 0x20 ? [] : [0])),
      );
      decodeSubgroupObjects(data, header);
    });
  }
}

describe('fuzz', () => {
  it('random bytes never escape the typed error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 1, max: 7 }), (data, chunk) => {
        everyDecoder(data);
        feedAll(data, chunk);
      }),
      { numRuns: 1500 },
    );
  });

  it('mutated valid control frames', () => {
    fc.assert(
      fc.property(
        controlMessage,
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 1, max: 9 }),
        (message, muts, chunk) => {
          const data = mutate(encodeControlMessage(message), muts);
          mustReturnOrThrowTyped(() => decodeControlMessage(data));
          feedAll(data, chunk);
        },
      ),
      { numRuns: 600 },
    );
  });

  it('mutated valid data streams and datagrams', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(sampleSubgroup, sampleFetch, sampleDatagram),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 1, max: 9 }),
        (sample, muts, chunk) => {
          const data = mutate(sample, muts);
          everyDecoder(data);
          feedAll(data, chunk);
          mustReturnOrThrowTyped(() => decodeFetchItems(data.subarray(2)));
          mustReturnOrThrowTyped(() =>
            decodeSubgroupObjects(data.subarray(4), decodeSubgroupHeader(sampleSubgroup.subarray(0, 4))),
          );
        },
      ),
      { numRuns: 800 },
    );
  });

  it('an inflated 16-bit Length just waits for bytes instead of looping or failing', () => {
    const parser = new ControlStreamParser();
    expect(parser.push(Uint8Array.of(0x03, 0xff, 0xff, 0x00))).toEqual([]);
    expect(parser.buffered).toBe(4);
  });
});
