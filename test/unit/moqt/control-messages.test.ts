// Byte-exact draft-18 control message layouts: each expected frame is assembled by hand from the
// draft's message diagrams, then checked in both directions (encode and decode).
import { describe, expect, it } from 'vitest';
import { decodeControlMessage, encodeControlMessage } from '../../../main/moqt/codec/draft18/control.js';
import type { ControlMessage } from '../../../main/moqt/codec/draft18/messages.js';
import { MoqtDecodeError } from '../../../main/moqt/codec/errors.js';
import { SessionErrorCode } from '../../../main/moqt/codec/error-codes.js';
import { codecForAlpn, codecs, SUPPORTED_ALPNS } from '../../../main/moqt/codec/index.js';
import { ascii, bytes, frame, h } from './helpers.js';

function expectError(fn: () => unknown, code: number = SessionErrorCode.PROTOCOL_VIOLATION): MoqtDecodeError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(MoqtDecodeError);
    expect((error as MoqtDecodeError).sessionError).toBe(code);
    return error as MoqtDecodeError;
  }
  throw new Error('expected a MoqtDecodeError');
}

const cases: [name: string, message: ControlMessage, wire: Uint8Array][] = [
  [
    'SETUP with every option and a grease option',
    {
      type: 'setup',
      options: {
        path: '/moq',
        authorizationTokens: [{ aliasType: 'use-value', tokenType: 0n, value: bytes('ab') }],
        maxAuthTokenCacheSize: 1000n,
        authority: 'example.com:443',
        implementation: 'x',
        unknown: [{ type: 0x9dn, value: h('beef') }],
      },
    },
    frame(
      'af00', // 0x2F00 as a 2-byte vi64
      [
        '01 04' + ascii('/moq'), // PATH (0x01)
        '02 04 03 00 6162', // AUTHORIZATION_TOKEN (0x03): USE_VALUE, type 0, "ab"
        '01 83e8', // MAX_AUTH_TOKEN_CACHE_SIZE (0x04) = 1000
        '01 0f' + ascii('example.com:443'), // AUTHORITY (0x05)
        '02 01 78', // MOQT_IMPLEMENTATION (0x07) = "x"
        '8096 02 beef', // grease 0x9D: delta 0x96
      ].join(''),
    ),
  ],
  [
    'GOAWAY on the control stream',
    { type: 'goaway', newSessionUri: 'moqt://b', timeout: 5000n, requestId: 4n },
    frame('10', '08' + ascii('moqt://b') + '9388 04'),
  ],
  ['GOAWAY on a request stream', { type: 'goaway', newSessionUri: '', timeout: 0n }, frame('10', '00 00')],
  [
    'REQUEST_OK with parameters and Track Properties',
    {
      type: 'requestOk',
      parameters: { expires: 100n, largestObject: { group: 5n, object: 2n } },
      trackProperties: [{ type: 0x0en, value: 10n }],
    },
    frame('07', '02 08 64 01 05 02 0e 0a'),
  ],
  [
    'PUBLISH_OK (0x1E alias)',
    { type: 'publishOk', parameters: { forward: false, subscriberPriority: 7, groupOrder: 'descending' } },
    frame('1e', '03 10 00 10 07 02 02'),
  ],
  [
    'REQUEST_ERROR',
    { type: 'requestError', errorCode: 0x10n, retryInterval: 0n, reason: 'gone' },
    frame('05', '10 00 04' + ascii('gone')),
  ],
  [
    'REQUEST_ERROR with Redirect',
    {
      type: 'requestError',
      errorCode: 0x34n,
      retryInterval: 1001n,
      reason: '',
      redirect: { connectUri: '', namespace: [bytes('a')], trackName: bytes('b') },
    },
    frame('05', '34 83e9 00 00 01 01 61 01 62'),
  ],
  [
    'SUBSCRIBE',
    {
      type: 'subscribe',
      requestId: 0n,
      track: { namespace: [bytes('studio'), bytes('room1')], name: bytes('video') },
      parameters: {
        authorizationTokens: [{ aliasType: 'register', alias: 1n, tokenType: 0n, value: bytes('tok') }],
        forward: true,
        subscriberPriority: 1,
        subscriptionFilter: { type: 'absolute-range', start: { group: 10n, object: 0n }, endGroupDelta: 5n },
      },
    },
    frame(
      '03',
      [
        '00', // Request ID
        '02 06' + ascii('studio') + '05' + ascii('room1'), // Track Namespace
        '05' + ascii('video'), // Track Name
        '04', // Number of Parameters
        '03 06 01 01 00' + ascii('tok'), // AUTHORIZATION_TOKEN: REGISTER alias 1 type 0
        '0d 01', // FORWARD (0x10) = 1
        '10 01', // SUBSCRIBER_PRIORITY (0x20) = 1
        '01 04 04 0a 00 05', // SUBSCRIPTION_FILTER (0x21): AbsoluteRange {10,0} +5
      ].join(''),
    ),
  ],
  [
    'SUBSCRIBE_OK with Immutable Properties',
    {
      type: 'subscribeOk',
      trackAlias: 0x3fffn,
      parameters: {},
      trackProperties: [
        { type: 0x0bn, value: h('04 c0ea60') },
        { type: 0x0en, value: 200n },
      ],
    },
    frame('04', 'bfff 00 0b 04 04c0ea60 03 80c8'),
  ],
  [
    'REQUEST_UPDATE',
    {
      type: 'requestUpdate',
      requestId: 2n,
      parameters: { subscriptionFilter: { type: 'next-group-start' }, trackNamespacePrefix: [bytes('x')] },
    },
    frame('02', '02 02 21 01 01 13 01 01 78'),
  ],
  [
    'PUBLISH',
    {
      type: 'publish',
      requestId: 1n,
      track: { namespace: [bytes('a')], name: new Uint8Array(0) },
      trackAlias: 7n,
      parameters: { forward: false },
      trackProperties: [],
    },
    frame('1d', '01 01 01 61 00 07 01 10 00'),
  ],
  [
    'PUBLISH_DONE with the "unknown stream count" value',
    { type: 'publishDone', statusCode: 2n, streamCount: (1n << 62n) - 1n, reason: '' },
    frame('0b', '02 ff3fffffffffffffff 00'),
  ],
  [
    'FETCH (standalone)',
    {
      type: 'fetch',
      requestId: 4n,
      fetch: {
        kind: 'standalone',
        track: { namespace: [bytes('a')], name: bytes('v') },
        start: { group: 1n, object: 0n },
        end: { group: 3n, object: 0n },
      },
      parameters: { groupOrder: 'descending' },
    },
    frame('16', '04 01 01 01 61 01 76 01 00 03 00 01 22 02'),
  ],
  [
    'FETCH (relative joining)',
    {
      type: 'fetch',
      requestId: 6n,
      fetch: { kind: 'relative-joining', joiningRequestId: 0n, joiningStart: 2n },
      parameters: {},
    },
    frame('16', '06 02 00 02 00'),
  ],
  [
    'FETCH (absolute joining)',
    {
      type: 'fetch',
      requestId: 8n,
      fetch: { kind: 'absolute-joining', joiningRequestId: 0n, joiningStart: 10n },
      parameters: {},
    },
    frame('16', '08 03 00 0a 00'),
  ],
  [
    'FETCH_OK',
    {
      type: 'fetchOk',
      endOfTrack: true,
      endLocation: { group: 9n, object: 0n },
      parameters: {},
      trackProperties: [],
    },
    frame('18', '01 09 00 00'),
  ],
  [
    'TRACK_STATUS',
    { type: 'trackStatus', requestId: 10n, track: { namespace: [], name: bytes('t') }, parameters: {} },
    frame('0d', '0a 00 01 74 00'),
  ],
  [
    'PUBLISH_NAMESPACE',
    { type: 'publishNamespace', requestId: 12n, namespace: [bytes('abc')], parameters: {} },
    frame('06', '0c 01 03 616263 00'),
  ],
  ['NAMESPACE', { type: 'namespace', suffix: [bytes('x'), bytes('y')] }, frame('08', '02 01 78 01 79')],
  ['NAMESPACE_DONE', { type: 'namespaceDone', suffix: [bytes('x')] }, frame('0e', '01 01 78')],
  [
    'SUBSCRIBE_NAMESPACE',
    { type: 'subscribeNamespace', requestId: 14n, prefix: [], parameters: {} },
    frame('50', '0e 00 00'),
  ],
  [
    'SUBSCRIBE_TRACKS',
    { type: 'subscribeTracks', requestId: 16n, prefix: [bytes('a')], parameters: { forward: false } },
    frame('51', '10 01 01 61 01 10 00'),
  ],
  [
    'PUBLISH_BLOCKED',
    { type: 'publishBlocked', suffix: [bytes('s')], trackName: bytes('n') },
    frame('0f', '01 01 73 01 6e'),
  ],
];

describe('draft-18 control messages: byte-exact layouts', () => {
  it.each(cases)('%s', (_name, message, wire) => {
    expect(encodeControlMessage(message)).toEqual(wire);
    expect(decodeControlMessage(wire)).toEqual(message);
  });

  it('accepts non-minimal varints (0x8025 == 37) as the draft requires', () => {
    // NAMESPACE_DONE with a 2-byte field count and a 2-byte type.
    expect(decodeControlMessage(h('800e 0004 8001 01 78'))).toEqual({
      type: 'namespaceDone',
      suffix: [bytes('x')],
    });
  });

  it('exposes the codec by draft number and ALPN', () => {
    expect(codecs[18].alpn).toBe('moqt-18');
    expect(codecForAlpn('moqt-18')).toBe(codecs[18]);
    expect(codecForAlpn('moqt-16')).toBeUndefined();
    expect(SUPPORTED_ALPNS).toEqual(['moqt-18']);
  });
});

describe('draft-18 control messages: errors carry the session error code', () => {
  it('unknown and reserved message types are a PROTOCOL_VIOLATION', () => {
    for (const type of ['01', '20', '21', '40', '41', '1f', 'c0ffff']) {
      expect(expectError(() => decodeControlMessage(frame(type, ''))).kind).toBe('unknown-type');
    }
  });

  it('a Length that does not match the payload is a PROTOCOL_VIOLATION', () => {
    expectError(() => decodeControlMessage(h('0e 0004 01 01 78'))); // needs 3 bytes, says 4
    expectError(() => decodeControlMessage(h('0e 0002 01 01 78'))); // says 2: field runs past it
    expectError(() => decodeControlMessage(h('0e 0003 01 01'))); // truncated frame
  });

  it('namespace limits: >32 fields, empty field, >4096 bytes', () => {
    expectError(() => decodeControlMessage(frame('08', '21' + '01 61'.repeat(33))));
    expectError(() => decodeControlMessage(frame('08', '01 00')));
    expectError(() => decodeControlMessage(frame('08', '01 9001' + '61'.repeat(4097))));
    // Two fields of 2049 bytes: each is fine, the namespace total (4098) is not.
    expectError(() => decodeControlMessage(frame('08', '02' + ('8801' + '61'.repeat(2049)).repeat(2))));
  });

  it('reason phrase over 1024 bytes and GOAWAY URI over 8192 bytes', () => {
    expect(expectError(() => decodeControlMessage(frame('0b', '00 00 8401' + '61'.repeat(1025)))).kind).toBe(
      'limit',
    );
    expectError(() => decodeControlMessage(frame('10', 'a001' + '61'.repeat(8193) + '00')));
  });

  it('unknown, out-of-scope and duplicate parameters are a PROTOCOL_VIOLATION', () => {
    expect(expectError(() => decodeControlMessage(frame('02', '00 01 05 00'))).kind).toBe('unknown-type'); // 0x05
    expectError(() => decodeControlMessage(frame('02', '00 01 0a 00'))); // FILL_TIMEOUT in REQUEST_UPDATE
    expectError(() => decodeControlMessage(frame('18', '00 00 00 01 08 01'))); // EXPIRES in FETCH_OK
    expectError(() => decodeControlMessage(frame('02', '00 02 10 01 00 00'))); // FORWARD twice
    // AUTHORIZATION_TOKEN may repeat.
    const twice = decodeControlMessage(frame('02', '00 02 03 02 02 05 00 02 02 06'));
    expect(twice).toEqual({
      type: 'requestUpdate',
      requestId: 0n,
      parameters: {
        authorizationTokens: [
          { aliasType: 'use-alias', alias: 5n },
          { aliasType: 'use-alias', alias: 6n },
        ],
      },
    });
  });

  it('out-of-range FORWARD / GROUP_ORDER / End Of Track / fetch and filter types', () => {
    expectError(() => decodeControlMessage(frame('02', '00 01 10 02')));
    expectError(() => decodeControlMessage(frame('16', '00 02 00 00 01 22 03')));
    expectError(() => decodeControlMessage(frame('18', '02 00 00 00')));
    expectError(() => decodeControlMessage(frame('16', '00 04 00 00 00')));
    expectError(() => decodeControlMessage(frame('02', '00 01 21 01 05')));
  });

  it('an undecodable token or malformed filter value is a KEY_VALUE_FORMATTING_ERROR', () => {
    const KVF = SessionErrorCode.KEY_VALUE_FORMATTING_ERROR;
    expectError(() => decodeControlMessage(frame('02', '00 01 03 01 07')), KVF); // alias type 7
    expectError(() => decodeControlMessage(frame('02', '00 01 03 03 00 05 00')), KVF); // DELETE + trailing byte
    expectError(() => decodeControlMessage(frame('02', '00 01 21 02 03 05')), KVF); // AbsoluteStart missing Object
  });

  it('PUBLISH_OK must not carry Track Properties; key-value lengths are capped at 65535', () => {
    expectError(() => decodeControlMessage(frame('1e', '00 0e 0a')));
    expectError(() => decodeControlMessage(frame('07', '00 01 c10000' + '00'.repeat(16))));
  });

  it('SETUP: unknown options are kept, bad PATH/AUTHORITY use their own codes', () => {
    // type 2 (unknown, even) = 5, then delta 2 -> type 4 (MAX_AUTH_TOKEN_CACHE_SIZE) = 3
    expect(decodeControlMessage(frame('af00', '02 05 02 03'))).toEqual({
      type: 'setup',
      options: { unknown: [{ type: 2n, value: 5n }], maxAuthTokenCacheSize: 3n },
    });
    expectError(
      () => decodeControlMessage(frame('af00', '01 03' + ascii('moq'))),
      SessionErrorCode.MALFORMED_PATH,
    );
    expectError(
      () => decodeControlMessage(frame('af00', '05 03' + ascii('a/b'))),
      SessionErrorCode.MALFORMED_AUTHORITY,
    );
    expectError(() => decodeControlMessage(frame('af00', '07 01 78 00 01 79'))); // duplicate IMPLEMENTATION
  });

  it('encoders refuse values the wire cannot carry', () => {
    expect(() =>
      encodeControlMessage({ type: 'requestError', errorCode: 0x34n, retryInterval: 0n, reason: '' }),
    ).toThrow(RangeError);
    expect(() =>
      encodeControlMessage({
        type: 'fetchOk',
        endOfTrack: false,
        endLocation: { group: 0n, object: 0n },
        parameters: { expires: 1n },
        trackProperties: [],
      }),
    ).toThrow(RangeError);
    expect(() => encodeControlMessage({ type: 'namespace', suffix: [new Uint8Array(0)] })).toThrow(
      RangeError,
    );
    expect(() =>
      encodeControlMessage({
        type: 'publishDone',
        statusCode: 0n,
        streamCount: 0n,
        reason: 'x'.repeat(1025),
      }),
    ).toThrow(RangeError);
    expect(() =>
      encodeControlMessage({ type: 'publishBlocked', suffix: [], trackName: new Uint8Array(70000) }),
    ).toThrow(RangeError);
  });
});
