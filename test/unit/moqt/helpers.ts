// Test helpers for the MoQT codec: hex assembly of hand-built wire layouts and fast-check
// arbitraries that generate valid draft-18 messages for round-trip properties.
import fc from 'fast-check';
import { bytesToHex, hexToBytes } from '../../../common/codec/bytes.js';
import { MoqtDecodeError } from '../../../main/moqt/codec/errors.js';
import type { AuthToken } from '../../../main/moqt/codec/draft18/auth-token.js';
import type { KeyValuePair } from '../../../main/moqt/codec/draft18/key-value.js';
import type { ControlMessage } from '../../../main/moqt/codec/draft18/messages.js';
import type { MessageParameters, SubscriptionFilter } from '../../../main/moqt/codec/draft18/parameters.js';

/** Joins hex fragments (spaces allowed) into bytes. */
export function h(...parts: string[]): Uint8Array {
  return hexToBytes(parts.join('').replace(/\s+/g, ''));
}

export function ascii(text: string): string {
  return bytesToHex(new TextEncoder().encode(text));
}

export function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** A control frame built from the layout: Type (given as hex varint) | Length (16) | Payload. */
export function frame(typeHex: string, payloadHex: string): Uint8Array {
  const payload = h(payloadHex);
  const length = payload.length.toString(16).padStart(4, '0');
  return h(typeHex, length, payloadHex);
}

/** Runs `fn`; passes if it returns or throws MoqtDecodeError, fails on any other throw. */
export function mustReturnOrThrowTyped(fn: () => unknown): 'ok' | 'error' {
  try {
    fn();
    return 'ok';
  } catch (error) {
    if (error instanceof MoqtDecodeError) return 'error';
    throw error;
  }
}

// ---- arbitraries ----
const U64 = (1n << 64n) - 1n;
export const u64 = fc.oneof(fc.bigInt({ min: 0n, max: 300n }), fc.bigInt({ min: 0n, max: U64 }));
export const u8 = fc.integer({ min: 0, max: 255 });
const field = fc.uint8Array({ minLength: 1, maxLength: 8 });
export const namespace = fc.array(field, { maxLength: 5 });
export const trackName = fc.uint8Array({ maxLength: 10 });
export const track = fc.record({ namespace, name: trackName });
export const location = fc.record({ group: u64, object: u64 });
export const text = fc.string({ maxLength: 20 });

export const authToken: fc.Arbitrary<AuthToken> = fc.oneof(
  fc.record({ aliasType: fc.constant('delete' as const), alias: u64 }),
  fc.record({
    aliasType: fc.constant('register' as const),
    alias: u64,
    tokenType: u64,
    value: fc.uint8Array({ maxLength: 12 }),
  }),
  fc.record({ aliasType: fc.constant('use-alias' as const), alias: u64 }),
  fc.record({
    aliasType: fc.constant('use-value' as const),
    tokenType: u64,
    value: fc.uint8Array({ maxLength: 12 }),
  }),
);

export const filter: fc.Arbitrary<SubscriptionFilter> = fc.oneof(
  fc.constant({ type: 'next-group-start' as const }),
  fc.constant({ type: 'largest-object' as const }),
  fc.record({ type: fc.constant('absolute-start' as const), start: location }),
  fc
    .record({ start: location, endGroupDelta: u64 })
    .filter((f) => f.start.group + f.endGroupDelta <= U64)
    .map((f) => ({ type: 'absolute-range' as const, ...f })),
);

const allParameters = fc.record(
  {
    objectDeliveryTimeout: u64,
    authorizationTokens: fc.array(authToken, { minLength: 1, maxLength: 3 }),
    rendezvousTimeout: u64,
    subgroupDeliveryTimeout: u64,
    expires: u64,
    largestObject: location,
    fillTimeout: u64,
    forward: fc.boolean(),
    subscriberPriority: u8,
    subscriptionFilter: filter,
    groupOrder: fc.constantFrom('ascending' as const, 'descending' as const),
    newGroupRequest: u64,
    trackNamespacePrefix: namespace,
  },
  { requiredKeys: [] },
);

/** Parameters restricted to the keys a message type accepts. */
export function params(keys: readonly (keyof MessageParameters)[]): fc.Arbitrary<MessageParameters> {
  return allParameters.map((p) => {
    const out: Record<string, unknown> = {};
    for (const key of keys) if (p[key] !== undefined) out[key] = p[key];
    return out as MessageParameters;
  });
}

export const keyValuePairs: fc.Arbitrary<KeyValuePair[]> = fc
  .array(
    fc.oneof(
      fc.bigInt({ min: 0n, max: 200n }).map((t) => t * 2n),
      fc.bigInt({ min: 0n, max: U64 }),
    ),
    { maxLength: 5 },
  )
  .chain((types) =>
    fc.tuple(
      ...types
        .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
        .map((type) =>
          (type & 1n) === 0n
            ? u64.map((value): KeyValuePair => ({ type, value }))
            : fc.uint8Array({ maxLength: 6 }).map((value): KeyValuePair => ({ type, value })),
        ),
    ),
  );

const SUB: (keyof MessageParameters)[] = [
  'objectDeliveryTimeout',
  'authorizationTokens',
  'rendezvousTimeout',
  'subgroupDeliveryTimeout',
  'forward',
  'subscriberPriority',
  'subscriptionFilter',
  'groupOrder',
  'newGroupRequest',
];
const PUB_OK: (keyof MessageParameters)[] = [
  'objectDeliveryTimeout',
  'subgroupDeliveryTimeout',
  'expires',
  'forward',
  'subscriberPriority',
  'subscriptionFilter',
  'groupOrder',
  'newGroupRequest',
];

const unknownSetupOptions = fc
  .array(fc.bigInt({ min: 8n, max: U64 }), { maxLength: 3 })
  .chain((types) =>
    fc.tuple(
      ...types
        .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
        .map((type) =>
          (type & 1n) === 0n
            ? u64.map((value): KeyValuePair => ({ type, value }))
            : fc.uint8Array({ maxLength: 6 }).map((value): KeyValuePair => ({ type, value })),
        ),
    ),
  );

export const controlMessage: fc.Arbitrary<ControlMessage> = fc.oneof(
  fc
    .record(
      {
        path: fc.constantFrom('', '/', '/moq', '/a/b?x=1&y=%20'),
        authority: fc.constantFrom('relay.example.com', 'relay.example.com:4443', '[::1]:443', 'user@host'),
        maxAuthTokenCacheSize: u64,
        authorizationTokens: fc.array(authToken, { minLength: 1, maxLength: 2 }),
        implementation: text,
        unknown: unknownSetupOptions.filter((u) => u.length > 0),
      },
      { requiredKeys: [] },
    )
    .map((options) => ({ type: 'setup' as const, options })),
  fc.record(
    { type: fc.constant('goaway' as const), newSessionUri: text, timeout: u64, requestId: u64 },
    { requiredKeys: ['type', 'newSessionUri', 'timeout'] },
  ),
  fc.record({
    type: fc.constant('requestOk' as const),
    parameters: params([...PUB_OK, 'largestObject']),
    trackProperties: keyValuePairs,
  }),
  fc.record({ type: fc.constant('publishOk' as const), parameters: params(PUB_OK) }),
  fc.record({
    type: fc.constant('requestError' as const),
    errorCode: u64.filter((c) => c !== 0x34n),
    retryInterval: u64,
    reason: text,
  }),
  fc.record({
    type: fc.constant('requestError' as const),
    errorCode: fc.constant(0x34n),
    retryInterval: u64,
    reason: text,
    redirect: fc.record({ connectUri: text, namespace, trackName }),
  }),
  fc.record({ type: fc.constant('subscribe' as const), requestId: u64, track, parameters: params(SUB) }),
  fc.record({
    type: fc.constant('subscribeOk' as const),
    trackAlias: u64,
    parameters: params(['expires', 'largestObject']),
    trackProperties: keyValuePairs,
  }),
  fc.record({
    type: fc.constant('requestUpdate' as const),
    requestId: u64,
    parameters: params([
      'objectDeliveryTimeout',
      'authorizationTokens',
      'subgroupDeliveryTimeout',
      'forward',
      'subscriberPriority',
      'subscriptionFilter',
      'newGroupRequest',
      'trackNamespacePrefix',
    ]),
  }),
  fc.record({
    type: fc.constant('publish' as const),
    requestId: u64,
    track,
    trackAlias: u64,
    parameters: params(['authorizationTokens', 'expires', 'largestObject', 'forward']),
    trackProperties: keyValuePairs,
  }),
  fc.record({ type: fc.constant('publishDone' as const), statusCode: u64, streamCount: u64, reason: text }),
  fc.record({
    type: fc.constant('fetch' as const),
    requestId: u64,
    fetch: fc.oneof(
      fc.record({ kind: fc.constant('standalone' as const), track, start: location, end: location }),
      fc.record({
        kind: fc.constantFrom('relative-joining' as const, 'absolute-joining' as const),
        joiningRequestId: u64,
        joiningStart: u64,
      }),
    ),
    parameters: params(['authorizationTokens', 'fillTimeout', 'subscriberPriority', 'groupOrder']),
  }),
  fc.record({
    type: fc.constant('fetchOk' as const),
    endOfTrack: fc.boolean(),
    endLocation: location,
    parameters: fc.constant({}),
    trackProperties: keyValuePairs,
  }),
  fc.record({ type: fc.constant('trackStatus' as const), requestId: u64, track, parameters: params(SUB) }),
  fc.record({
    type: fc.constant('publishNamespace' as const),
    requestId: u64,
    namespace,
    parameters: params(['authorizationTokens']),
  }),
  fc.record({ type: fc.constant('namespace' as const), suffix: namespace }),
  fc.record({ type: fc.constant('namespaceDone' as const), suffix: namespace }),
  fc.record({
    type: fc.constant('subscribeNamespace' as const),
    requestId: u64,
    prefix: namespace,
    parameters: params(['authorizationTokens']),
  }),
  fc.record({
    type: fc.constant('subscribeTracks' as const),
    requestId: u64,
    prefix: namespace,
    parameters: params(['authorizationTokens', 'forward']),
  }),
  fc.record({ type: fc.constant('publishBlocked' as const), suffix: namespace, trackName }),
);
