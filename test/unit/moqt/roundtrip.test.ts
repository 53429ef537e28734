// Property tests: decode(encode(x)) == x for random draft-18 control messages, data-stream objects,
// datagrams and the typed parameter / property / setup-option views.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeAuthToken, encodeAuthToken } from '../../../main/moqt/codec/draft18/auth-token.js';
import { decodeControlMessage, encodeControlMessage } from '../../../main/moqt/codec/draft18/control.js';
import { decodeDatagram, encodeDatagram } from '../../../main/moqt/codec/draft18/datagram.js';
import type { Datagram } from '../../../main/moqt/codec/draft18/datagram.js';
import { decodeFetchItems, encodeFetchStream } from '../../../main/moqt/codec/draft18/fetch-stream.js';
import type { FetchItem } from '../../../main/moqt/codec/draft18/fetch-stream.js';
import { decodeKeyValuePairs, encodeKeyValuePairs } from '../../../main/moqt/codec/draft18/key-value.js';
import {
  immutablePropertiesPair,
  readObjectProperties,
  readTrackProperties,
  writeObjectProperties,
  writeTrackProperties,
} from '../../../main/moqt/codec/draft18/properties.js';
import { decodeSubgroupObjects, encodeSubgroupStream } from '../../../main/moqt/codec/draft18/subgroup.js';
import type { SubgroupHeader, SubgroupObject } from '../../../main/moqt/codec/draft18/subgroup.js';
import { MoqtDecodeError } from '../../../main/moqt/codec/errors.js';
import { authToken, controlMessage, keyValuePairs, u64, u8 } from './helpers.js';

describe('round trips', () => {
  it('control messages', () => {
    fc.assert(
      fc.property(controlMessage, (message) => {
        expect(decodeControlMessage(encodeControlMessage(message))).toEqual(message);
      }),
      { numRuns: 400 },
    );
  });

  it('key-value pairs and auth tokens', () => {
    fc.assert(
      fc.property(keyValuePairs, authToken, (pairs, token) => {
        expect(decodeKeyValuePairs(encodeKeyValuePairs(pairs))).toEqual(pairs);
        expect(decodeAuthToken(encodeAuthToken(token))).toEqual(token);
      }),
      { numRuns: 200 },
    );
  });

  it('subgroup streams', () => {
    const arb = fc
      .record({
        hasProperties: fc.boolean(),
        mode: fc.constantFrom('zero' as const, 'first-object' as const, 'explicit' as const),
        subgroupId: u64,
        publisherPriority: fc.option(u8, { nil: undefined }),
        endOfGroup: fc.boolean(),
        firstObject: fc.boolean(),
        trackAlias: u64,
        groupId: u64,
        ids: fc.uniqueArray(fc.bigInt({ min: 0n, max: 1000n }), { maxLength: 6 }),
        props: keyValuePairs,
        status: fc.constantFrom(0 as const, 3 as const, 4 as const),
      })
      .map((r) => {
        const header: SubgroupHeader = {
          kind: 'subgroup',
          trackAlias: r.trackAlias,
          groupId: r.groupId,
          subgroupIdMode: r.mode,
          ...(r.mode === 'explicit' && { subgroupId: r.subgroupId }),
          ...(r.publisherPriority !== undefined && { publisherPriority: r.publisherPriority }),
          hasProperties: r.hasProperties,
          endOfGroup: r.endOfGroup,
          firstObject: r.firstObject,
        };
        const ids = [...r.ids].sort((a, b) => (a < b ? -1 : 1));
        const objects: SubgroupObject[] = ids.map((objectId, i) =>
          i === ids.length - 1 && r.status !== 0
            ? { objectId, properties: [], status: r.status, payload: new Uint8Array(0) }
            : {
                objectId,
                properties: r.hasProperties ? r.props : [],
                status: 0,
                payload: Uint8Array.of(i + 1),
              },
        );
        return { header, objects };
      });
    fc.assert(
      fc.property(arb, ({ header, objects }) => {
        const wire = encodeSubgroupStream(header, objects);
        const headerLength = encodeSubgroupStream(header, []).length;
        expect(decodeSubgroupObjects(wire.subarray(headerLength), header)).toEqual(objects);
      }),
      { numRuns: 200 },
    );
  });

  it('fetch streams in both group orders', () => {
    const arb = fc.record({
      order: fc.constantFrom('ascending' as const, 'descending' as const),
      steps: fc.array(
        fc.record({
          groupStep: fc.nat(3),
          objectStep: fc.nat(3),
          range: fc.constantFrom(undefined, 'non-existent' as const, 'unknown' as const),
          subgroupId: fc.option(fc.bigInt({ min: 0n, max: 4n }), { nil: undefined }),
          priority: fc.nat(3),
          props: keyValuePairs,
        }),
        { maxLength: 8 },
      ),
    });
    fc.assert(
      fc.property(arb, ({ order, steps }) => {
        const items: FetchItem[] = [];
        let group = order === 'ascending' ? 0n : 1000n;
        let object = 0n;
        for (const [i, s] of steps.entries()) {
          const newGroup = i === 0 || s.groupStep > 0 || s.range !== undefined;
          if (i > 0 && newGroup)
            group += (order === 'ascending' ? 1n : -1n) * BigInt(Math.max(1, s.groupStep));
          object = newGroup ? BigInt(s.objectStep) : object + BigInt(s.objectStep);
          if (s.range !== undefined)
            items.push({ kind: 'end-of-range', range: s.range, groupId: group, objectId: object });
          else {
            items.push({
              kind: 'object',
              groupId: group,
              ...(s.subgroupId !== undefined && { subgroupId: s.subgroupId }),
              objectId: object,
              publisherPriority: s.priority,
              properties: s.props,
              payload: Uint8Array.of(i),
            });
          }
        }
        const wire = encodeFetchStream({ kind: 'fetch', requestId: 1n }, items, order);
        expect(decodeFetchItems(wire.subarray(2), order)).toEqual(items);
      }),
      { numRuns: 200 },
    );
  });

  it('datagrams', () => {
    const arb: fc.Arbitrary<Datagram> = fc.oneof(
      fc.record(
        {
          kind: fc.constant('object' as const),
          trackAlias: u64,
          groupId: u64,
          objectId: u64,
          publisherPriority: u8,
          properties: keyValuePairs,
          endOfGroup: fc.boolean(),
          payload: fc.uint8Array({ maxLength: 20 }),
        },
        {
          requiredKeys: ['kind', 'trackAlias', 'groupId', 'objectId', 'properties', 'endOfGroup', 'payload'],
        },
      ),
      fc.record({
        kind: fc.constant('status' as const),
        trackAlias: u64,
        groupId: u64,
        objectId: u64,
        properties: fc.constant([]),
        status: fc.constantFrom(0 as const, 3 as const, 4 as const),
      }),
      fc.record({ kind: fc.constant('padding' as const), length: fc.nat(40) }),
    );
    fc.assert(
      fc.property(arb, (datagram) => {
        expect(decodeDatagram(encodeDatagram(datagram))).toEqual(datagram);
      }),
      { numRuns: 300 },
    );
  });

  it('typed Track and Object Properties, including inside Immutable Properties', () => {
    const track = fc.record(
      {
        objectDeliveryTimeout: u64,
        maxCacheDuration: u64,
        subgroupDeliveryTimeout: u64,
        defaultPublisherPriority: u8,
        defaultPublisherGroupOrder: fc.constantFrom('ascending' as const, 'descending' as const),
        dynamicGroups: fc.boolean(),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(track, fc.boolean(), (props, immutable) => {
        const pairs = writeTrackProperties(props);
        const wire = immutable ? [immutablePropertiesPair(pairs)] : pairs;
        const decoded = decodeKeyValuePairs(encodeKeyValuePairs(wire));
        expect(readTrackProperties(decoded)).toEqual(props);
      }),
      { numRuns: 100 },
    );
    const obj = { priorGroupIdGap: 2n, priorObjectIdGap: 3n };
    expect(readObjectProperties(writeObjectProperties(obj))).toEqual(obj);
    expect(() => readObjectProperties([...writeObjectProperties(obj), { type: 0x3cn, value: 1n }])).toThrow(
      MoqtDecodeError,
    );
    expect(() => readTrackProperties([{ type: 0x22n, value: 3n }])).toThrow(MoqtDecodeError);
    expect(() => readTrackProperties([{ type: 0x0bn, value: Uint8Array.of(0x0b, 0x00) }])).toThrow(
      MoqtDecodeError,
    );
  });
});
