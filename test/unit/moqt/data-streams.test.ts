// Byte-exact draft-18 data plane layouts: every SUBGROUP_HEADER and OBJECT_DATAGRAM type, subgroup
// objects, fetch-stream Serialization Flags and End of Range, built by hand from the draft diagrams.
import { describe, expect, it } from 'vitest';
import { ByteWriter } from '../../../common/codec/byte-writer.js';
import {
  decodeDatagram,
  encodeDatagram,
  isObjectDatagramType,
} from '../../../main/moqt/codec/draft18/datagram.js';
import type { Datagram } from '../../../main/moqt/codec/draft18/datagram.js';
import { classifyUniStream } from '../../../main/moqt/codec/draft18/data-stream-parser.js';
import {
  decodeFetchItems,
  encodeFetchHeader,
  encodeFetchStream,
  newFetchStreamState,
  writeFetchItem,
} from '../../../main/moqt/codec/draft18/fetch-stream.js';
import type { FetchItem } from '../../../main/moqt/codec/draft18/fetch-stream.js';
import {
  decodeSubgroupHeader,
  decodeSubgroupObjects,
  encodeSubgroupHeader,
  encodeSubgroupStream,
  isSubgroupHeaderType,
} from '../../../main/moqt/codec/draft18/subgroup.js';
import type { SubgroupHeader, SubgroupObject } from '../../../main/moqt/codec/draft18/subgroup.js';
import { MoqtDecodeError } from '../../../main/moqt/codec/errors.js';
import { SessionErrorCode } from '../../../main/moqt/codec/error-codes.js';
import { ascii, bytes, h } from './helpers.js';

function expectViolation(fn: () => unknown): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(MoqtDecodeError);
  expect((thrown as MoqtDecodeError).sessionError).toBe(SessionErrorCode.PROTOCOL_VIOLATION);
}

const hex2 = (n: number) => n.toString(16).padStart(2, '0');

describe('SUBGROUP_HEADER', () => {
  const valid: number[] = [];
  for (const base of [0x10, 0x18, 0x30, 0x38, 0x50, 0x58, 0x70, 0x78])
    for (let i = 0; i < 6; i++) valid.push(base + i);

  it('accepts exactly the 48 types listed by the draft', () => {
    expect(valid).toHaveLength(48);
    for (let type = 0; type < 0x100; type++) expect(isSubgroupHeaderType(type)).toBe(valid.includes(type));
  });

  it.each(valid.map((t) => [hex2(t), t]))('type 0x%s round-trips byte-exactly', (_hex, type) => {
    const mode = (type & 0x06) >> 1;
    const header: SubgroupHeader = {
      kind: 'subgroup',
      trackAlias: 2n,
      groupId: 0x1234n,
      subgroupIdMode: mode === 0 ? 'zero' : mode === 1 ? 'first-object' : 'explicit',
      ...(mode === 2 && { subgroupId: 7n }),
      ...(!(type & 0x20) && { publisherPriority: 0x80 }),
      hasProperties: (type & 0x01) !== 0,
      endOfGroup: (type & 0x08) !== 0,
      firstObject: (type & 0x40) !== 0,
    };
    // Type | Track Alias | Group ID (0x1234 as 2-byte vi64) | [Subgroup ID] | [Priority]
    const wire = h(hex2(type), '02', '9234', mode === 2 ? '07' : '', type & 0x20 ? '' : '80');
    expect(encodeSubgroupHeader(header)).toEqual(wire);
    expect(decodeSubgroupHeader(wire)).toEqual(header);
    expect(classifyUniStream(wire)).toBe('subgroup');
  });

  it('rejects reserved SUBGROUP_ID_MODE 0b11 and types outside 0b0XX1XXXX', () => {
    for (const type of [0x16, 0x17, 0x1e, 0x1f, 0x36, 0x7f, 0x00, 0x0f, 0x20, 0x80, 0x90]) {
      expectViolation(() =>
        decodeSubgroupHeader(h(type < 0x80 ? hex2(type) : '80' + hex2(type), '02 00 00 00')),
      );
    }
  });
});

describe('subgroup objects', () => {
  // Track Alias 2, Group 0, [Subgroup 0], [Priority 0]
  const header = (type: number): SubgroupHeader =>
    decodeSubgroupHeader(h(hex2(type), '02 00', (type & 0x06) === 0x04 ? '00' : '', type & 0x20 ? '' : '00'));

  it('matches the draft example "Sending a subgroup on one stream" (type 0x14)', () => {
    const wire = h('14 02 00 00 00', '00 04' + ascii('abcd'), '00 04' + ascii('efgh'));
    const objects: SubgroupObject[] = [
      { objectId: 0n, properties: [], status: 0, payload: bytes('abcd') },
      { objectId: 1n, properties: [], status: 0, payload: bytes('efgh') },
    ];
    const hdr = header(0x14);
    expect(hdr).toMatchObject({ subgroupIdMode: 'explicit', subgroupId: 0n, publisherPriority: 0 });
    expect(encodeSubgroupStream(hdr, objects)).toEqual(wire);
    expect(decodeSubgroupObjects(wire.subarray(5), hdr)).toEqual(objects);
  });

  it('matches the draft example with two Properties (type 0x35)', () => {
    // {Type 4 = 2186796243 (5-byte vi64)}, {Type 77 (delta 73), Length 14, "traceID:123456"}
    const props = '04 f08257dcd3 49 0e' + ascii('traceID:123456');
    const wire = h('35 02 00 00', '00 16' + props + '04' + ascii('abcd'), '00 00 04' + ascii('efgh'));
    const objects: SubgroupObject[] = [
      {
        objectId: 0n,
        properties: [
          { type: 4n, value: 2186796243n },
          { type: 77n, value: bytes('traceID:123456') },
        ],
        status: 0,
        payload: bytes('abcd'),
      },
      { objectId: 1n, properties: [], status: 0, payload: bytes('efgh') },
    ];
    expect(encodeSubgroupStream(header(0x35), objects)).toEqual(wire);
    expect(decodeSubgroupObjects(wire.subarray(4), header(0x35))).toEqual(objects);
  });

  it('delta-encodes Object IDs and sends a status only for empty payloads', () => {
    // 0x10: no subgroup ID, priority present. Objects 3, 7 (delta 3), 8 (End of Group status 0x3).
    const wire = h('10 02 00 00', '03 01 61', '03 01 62', '00 00 03');
    const objects: SubgroupObject[] = [
      { objectId: 3n, properties: [], status: 0, payload: bytes('a') },
      { objectId: 7n, properties: [], status: 0, payload: bytes('b') },
      { objectId: 8n, properties: [], status: 3, payload: new Uint8Array(0) },
    ];
    expect(encodeSubgroupStream(header(0x10), objects)).toEqual(wire);
    expect(decodeSubgroupObjects(wire.subarray(4), header(0x10))).toEqual(objects);
  });

  it('rejects unknown statuses, properties on non-Normal objects, ID overflow and FIN mid-object', () => {
    expectViolation(() => decodeSubgroupObjects(h('00 00 01'), header(0x10))); // status 1
    expectViolation(() => decodeSubgroupObjects(h('00 02 3c01 00 04'), header(0x11))); // End of Track + props
    expectViolation(() => decodeSubgroupObjects(h('ff ffffffffffffffff 01 61 00 01 62'), header(0x10)));
    expectViolation(() => decodeSubgroupObjects(h('00 05 6162'), header(0x10)));
    expectViolation(() => decodeSubgroupObjects(h('00 03 01 05 61 00'), header(0x11))); // KVP overruns block
  });
});

describe('FETCH_HEADER and fetch objects', () => {
  const items: FetchItem[] = [
    {
      kind: 'object',
      groupId: 5n,
      subgroupId: 0n,
      objectId: 0n,
      publisherPriority: 10,
      properties: [],
      payload: bytes('a'),
    },
    {
      kind: 'object',
      groupId: 5n,
      subgroupId: 0n,
      objectId: 1n,
      publisherPriority: 10,
      properties: [],
      payload: bytes('b'),
    },
    {
      kind: 'object',
      groupId: 5n,
      subgroupId: 2n,
      objectId: 4n,
      publisherPriority: 10,
      properties: [],
      payload: bytes('c'),
    },
    {
      kind: 'object',
      groupId: 5n,
      subgroupId: 3n,
      objectId: 5n,
      publisherPriority: 10,
      properties: [{ type: 0x3en, value: 1n }],
      payload: bytes('d'),
    },
    { kind: 'end-of-range', range: 'unknown', groupId: 7n, objectId: 3n },
    { kind: 'object', groupId: 8n, objectId: 0n, publisherPriority: 10, properties: [], payload: bytes('e') },
    {
      kind: 'object',
      groupId: 8n,
      subgroupId: 3n,
      objectId: 1n,
      publisherPriority: 10,
      properties: [],
      payload: bytes('f'),
    },
  ];
  const body = [
    '1c 05 00 0a 01 61', // 0x1C: group delta + object delta + priority; subgroup mode 0
    '00 01 62', // everything inherited: same group, object +1, same priority, subgroup 0
    '07 02 03 01 63', // 0x07: explicit subgroup 2, object delta 3 (1 -> 4)
    '22 02 3e01 01 64', // 0x22: subgroup prior+1, properties {0x3E: 1}
    '810c 01 03 00', // End of Unknown Range: group delta 1 (5 -> 7), object 3, payload length 0
    '4c 00 00 01 65', // 0x4C: datagram, group delta 0 (7 -> 8), object 0
    '03 03 01 66', // explicit subgroup 3 (no prior subgroup after a datagram), object +1
  ];

  it('encodes and decodes Serialization Flags byte-exactly', () => {
    const wire = h('05 09', ...body);
    expect(encodeFetchStream({ kind: 'fetch', requestId: 9n }, items)).toEqual(wire);
    expect(encodeFetchHeader({ kind: 'fetch', requestId: 9n })).toEqual(h('05 09'));
    expect(classifyUniStream(wire)).toBe('fetch');
    expect(decodeFetchItems(h(...body))).toEqual(items);
  });

  it('undoes group deltas in descending order and supports End of Non-Existent Range', () => {
    const desc: FetchItem[] = [
      {
        kind: 'object',
        groupId: 9n,
        subgroupId: 0n,
        objectId: 2n,
        publisherPriority: 1,
        properties: [],
        payload: bytes('x'),
      },
      { kind: 'end-of-range', range: 'non-existent', groupId: 7n, objectId: 0n },
      {
        kind: 'object',
        groupId: 7n,
        subgroupId: 0n,
        objectId: 1n,
        publisherPriority: 1,
        properties: [],
        payload: bytes('y'),
      },
    ];
    const wire = h('1c 09 02 01 01 78', '808c 01 00 00', '00 01 79');
    const writer = new ByteWriter();
    const state = newFetchStreamState('descending');
    for (const item of desc) writeFetchItem(writer, state, item);
    expect(writer.finish()).toEqual(wire);
    expect(decodeFetchItems(wire, 'descending')).toEqual(desc);
  });

  it('rejects flags the draft does not define and first objects that inherit', () => {
    expectViolation(() => decodeFetchItems(h('80 01 00'))); // >= 128 and not a range marker
    expectViolation(() => decodeFetchItems(h('14 00 0a 01 61'))); // first object without group delta
    expectViolation(() => decodeFetchItems(h('0c 00 00 01 61'))); // first object without priority
    expectViolation(() => decodeFetchItems(h('1d 00 00 0a 01 61'))); // first object inherits subgroup
    expectViolation(() => decodeFetchItems(h('808c 01 02 01 61'))); // range marker with a payload
    expectViolation(() => decodeFetchItems(h('1c 00 00 0a 00', '08 ff ffffffffffffffff 00'), 'ascending'));
    expectViolation(() => decodeFetchItems(h('1c 02 00 0a 00', '08 05 00'), 'descending')); // group < 0
  });
});

describe('OBJECT_DATAGRAM', () => {
  const valid = [...Array(16).keys(), 0x20, 0x21, 0x24, 0x25, 0x28, 0x29, 0x2c, 0x2d];

  it('accepts exactly the draft\u2019s 24 types', () => {
    for (let type = 0; type < 0x100; type++) expect(isObjectDatagramType(type)).toBe(valid.includes(type));
  });

  it.each(valid.map((t) => [hex2(t), t]))('type 0x%s round-trips byte-exactly', (_hex, type) => {
    const status = type & 0x20 ? (type & 0x01 ? 0 : 4) : undefined;
    const common = {
      trackAlias: 3n,
      groupId: 0x40n,
      objectId: type & 0x04 ? 0n : 9n,
      ...(!(type & 0x08) && { publisherPriority: 0xff }),
      properties: type & 0x01 ? [{ type: 0x3cn, value: 1n }] : [],
    };
    const datagram: Datagram =
      status === undefined
        ? { kind: 'object', ...common, endOfGroup: (type & 0x02) !== 0, payload: bytes('ab') }
        : { kind: 'status', ...common, status: status as 0 | 4 };
    // Type | Track Alias | Group ID | [Object ID] | [Priority] | [Properties] | [Status] | [Payload]
    const wire = h(
      hex2(type),
      '03',
      '40',
      type & 0x04 ? '' : '09',
      type & 0x08 ? '' : 'ff',
      type & 0x01 ? '02 3c01' : '',
      status === undefined ? ascii('ab') : hex2(status),
    );
    expect(encodeDatagram(datagram)).toEqual(wire);
    expect(decodeDatagram(wire)).toEqual(datagram);
  });

  it('rejects invalid types, empty PROPERTIES, bad status, properties on non-Normal status', () => {
    for (const type of ['22', '23', '2e', '2f', '10', '1f', '30', '40'])
      expectViolation(() => decodeDatagram(h(type, '03 40 09 ff 00')));
    expectViolation(() => decodeDatagram(h('01 03 40 09 ff 00 61'))); // PROPERTIES bit, length 0
    expectViolation(() => decodeDatagram(h('20 03 40 09 ff 02'))); // status 2
    expectViolation(() => decodeDatagram(h('21 03 40 09 ff 02 3c01 03'))); // End of Group + props
    expectViolation(() => decodeDatagram(h('20 03 40 09 ff 00 00'))); // bytes after the status
  });

  it('decodes padding datagrams and classifies padding streams', () => {
    // 0x132B3E29 as a 5-byte vi64 (35 bits): prefix 11110.
    expect(decodeDatagram(h('f0132b3e29 000000'))).toEqual({ kind: 'padding', length: 3 });
    expect(encodeDatagram({ kind: 'padding', length: 3 })).toEqual(h('f0132b3e29 000000'));
    expect(classifyUniStream(h('f0132b3e28'))).toBe('padding');
    expect(classifyUniStream(h('af00'))).toBe('control');
    expect(classifyUniStream(h('f0'))).toBeUndefined();
    expectViolation(() => classifyUniStream(h('06')));
  });
});
