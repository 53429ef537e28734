// The relay core against in-process fake sessions: routing and fan-out, namespace subscriptions,
// cache-backed FETCH and late join, slow and vanishing subscribers, upstream lifecycle, authorization.
import { describe, expect, it } from 'vitest';
import { fullTrackName } from '../../../common/codec/track-name.js';
import { encodeAuthToken } from '../../../main/moqt/codec/draft18/index.js';
import { PublishDoneCode, RequestErrorCode } from '../../../main/moqt/codec/error-codes.js';
import { createTokenAuthorizer, mintRelayToken, relayAuthToken } from '../../../main/relay/auth.js';
import { Relay } from '../../../main/relay/relay.js';
import type { RelayOptions } from '../../../main/relay/relay.js';
import { FakeSession, loc, obj, settle } from './fake-session.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const ns = (...fields: string[]): Uint8Array[] => fields.map(enc);

function setup(options: RelayOptions = {}) {
  const relay = new Relay(options);
  const session = (opts?: ConstructorParameters<typeof FakeSession>[1]) => {
    const s = new FakeSession(relay.handler, opts);
    relay.accept(s);
    return s;
  };
  return { relay, session };
}

const video1 = fullTrackName(['studio', 'room1'], 'video');
const audio2 = fullTrackName(['studio', 'room2'], 'audio');

describe('routing and fan-out', () => {
  it('fans one upstream subscription per track out to every subscriber, in order, untouched', async () => {
    const { relay, session } = setup();
    const pub1 = session();
    const pub2 = session();
    pub1.announce(ns('studio', 'room1'));
    pub2.announce(ns('studio', 'room2'));
    const viewers = [session(), session(), session()];
    const a = viewers[0]!.requestSubscribe(video1);
    const b = viewers[1]!.requestSubscribe(video1);
    const c = viewers[2]!.requestSubscribe(audio2);
    await settle();
    expect([a, b, c].map((r) => r.outcome?.type)).toEqual(['accepted', 'accepted', 'accepted']);
    expect(pub1.subscriptions).toHaveLength(1);
    expect(pub2.subscriptions).toHaveLength(1);
    expect(pub1.subscriptions[0]!.options?.filter).toEqual({ type: 'largest-object' });

    const keyId = { type: 0x0bn, value: new Uint8Array([1, 2, 3]) };
    const ciphertext = new Uint8Array([0xde, 0xad, 0xbe, 0xef]);
    pub1.send(video1, obj(0, 0, 'v00', { properties: [keyId] }));
    pub1.send(video1, obj(0, 1, 'v01'));
    pub1.send(video1, obj(0, 0, 'v00-sub1', { subgroupId: 1n }));
    pub1.send(video1, obj(1, 0, 'v10'));
    pub2.send(audio2, obj(0, 0, ciphertext));
    await settle();

    for (const request of [a, b]) {
      const writer = request.writer!;
      expect(writer.payloads).toEqual(['v00', 'v01', 'v00-sub1', 'v10']);
      expect(writer.objects[0]!.properties).toEqual([keyId]);
      expect(writer.subgroups.map((s) => `${s.groupId}/${s.subgroupId}`)).toEqual(['0/0', '0/1', '1/0']);
      expect(writer.subgroups[0]!.publisherPriority).toBe(128);
    }
    expect(c.writer!.objects.map((o) => [...new TextEncoder().encode(o.payload)])).toHaveLength(1);
    expect(c.writer!.payloads[0]).toBe(new TextDecoder().decode(ciphertext));
    expect(relay.stats).toMatchObject({
      sessions: 5,
      publishedNamespaces: 2,
      upstreamSubscriptions: 2,
      downstreamSubscriptions: 3,
      objectsIn: 5,
      objectsOut: 9,
    });
  });

  it('closes subgroup streams on end-of-group and when too many groups are open', async () => {
    const { session } = setup({ maxOpenGroups: 2 });
    const pub = session();
    pub.announce(ns('studio', 'room1'));
    const viewer = session().requestSubscribe(video1);
    await settle();
    pub.send(video1, obj(0, 0));
    pub.send(video1, obj(0, 1, new Uint8Array(0), { status: 'end-of-group' }));
    pub.send(video1, obj(0, 2, 'late'));
    pub.send(video1, obj(1, 0));
    pub.send(video1, obj(2, 0));
    pub.send(video1, obj(3, 0));
    await settle();
    const writer = viewer.writer!;
    expect(writer.payloads).toEqual(['g0o0', 'g1o0', 'g2o0', 'g3o0']);
    expect(writer.subgroups.map((s) => s.closed)).toEqual([
      { endOfGroup: true },
      { endOfGroup: false },
      undefined,
      undefined,
    ]);
  });

  it('routes by longest namespace prefix and rejects unknown namespaces', async () => {
    const { session } = setup();
    const broad = session();
    const narrow = session();
    broad.announce(ns('studio'));
    narrow.announce(ns('studio', 'room2'));
    const viewer = session();
    viewer.requestSubscribe(audio2);
    viewer.requestSubscribe(video1);
    const unknown = viewer.requestSubscribe(fullTrackName(['elsewhere'], 'video'));
    await settle();
    expect(narrow.subscriptions.map((s) => s.track)).toEqual([audio2]);
    expect(broad.subscriptions.map((s) => s.track)).toEqual([video1]);
    expect(unknown.rejectedWith).toBe(RequestErrorCode.DOES_NOT_EXIST);
  });

  it('forgets a withdrawn namespace and one whose session closed', async () => {
    const { relay, session } = setup();
    const pub1 = session();
    const pub2 = session();
    const publication = pub1.announce(ns('studio', 'room1'));
    pub2.announce(ns('studio', 'room2'));
    await settle();
    expect(relay.stats.publishedNamespaces).toBe(2);
    publication.withdraw();
    pub2.close();
    await settle();
    expect(relay.stats).toMatchObject({ publishedNamespaces: 0, sessions: 1 });
    const viewer = session();
    const r = viewer.requestSubscribe(video1);
    expect(r.rejectedWith).toBe(RequestErrorCode.DOES_NOT_EXIST);
  });

  it('passes the upstream end (PUBLISH_DONE status) and upstream refusals on to subscribers', async () => {
    const { relay, session } = setup();
    const pub = session();
    pub.announce(ns('studio', 'room1'));
    const viewer = session();
    const a = viewer.requestSubscribe(video1);
    await settle();
    pub.send(video1, obj(0, 0));
    pub.subscriptions[0]!.end(PublishDoneCode.TRACK_ENDED, 'bye');
    await settle();
    expect(a.writer!.payloads).toEqual(['g0o0']);
    expect(a.writer!.subgroups[0]!.closed).toBeDefined();
    expect(a.writer!.finished).toEqual({ statusCode: PublishDoneCode.TRACK_ENDED, reason: 'bye' });
    expect(relay.stats.upstreamSubscriptions).toBe(0);

    const refusing = session({ rejectSubscribe: { code: RequestErrorCode.UNINTERESTED, reason: 'no' } });
    refusing.announce(ns('studio', 'room2'));
    const b = viewer.requestSubscribe(audio2);
    await settle();
    expect(b.rejectedWith).toBe(RequestErrorCode.UNINTERESTED);

    // Publisher session going away ends downstreams with the status the upstream reported.
    const c = viewer.requestSubscribe(video1);
    await settle();
    pub.close();
    await settle();
    expect(c.writer!.finished?.statusCode).toBe(PublishDoneCode.GOING_AWAY);
  });
});

describe('namespace subscriptions', () => {
  it('lists existing namespaces, then announces new ones and withdrawals as suffixes', async () => {
    const { relay, session } = setup();
    const pub1 = session();
    pub1.announce(ns('studio', 'room1'));
    session().announce(ns('other', 'x'));
    const watcher = session();
    const sub = watcher.requestSubscribeNamespace(ns('studio'));
    await settle();
    expect(sub.announcer!.events).toEqual(['+room1']);

    const pub2 = session();
    const room2 = pub2.announce(ns('studio', 'room2', 'cam'));
    // A second publisher of the same namespace is not news.
    session().announce(ns('studio', 'room1'));
    await settle();
    expect(sub.announcer!.events).toEqual(['+room1', '+room2/cam']);

    room2.withdraw();
    await settle();
    expect(sub.announcer!.events).toEqual(['+room1', '+room2/cam', '-room2/cam']);

    const overlap = watcher.requestSubscribeNamespace(ns('studio', 'room1'));
    expect(overlap.rejectedWith).toBe(RequestErrorCode.PREFIX_OVERLAP);

    sub.announcer!.cancel();
    await settle();
    expect(relay.stats.namespaceSubscriptions).toBe(0);
    pub1.close();
    await settle();
    expect(sub.announcer!.events).toHaveLength(3);
  });

  it('announces NAMESPACE_DONE when the last publisher of a namespace disconnects', async () => {
    const { session } = setup();
    const watcher = session().requestSubscribeNamespace(ns('studio'));
    const pub1 = session();
    const pub2 = session();
    pub1.announce(ns('studio', 'room1'));
    pub2.announce(ns('studio', 'room1'));
    await settle();
    pub1.close();
    await settle();
    expect(watcher.announcer!.events).toEqual(['+room1']);
    pub2.close();
    await settle();
    expect(watcher.announcer!.events).toEqual(['+room1', '-room1']);
  });
});

describe('cache, FETCH and late join', () => {
  it('serves FETCH from cached groups and INVALID_RANGE for evicted ones', async () => {
    const { relay, session } = setup({ cache: { maxGroupsPerTrack: 2 } });
    const pub = session();
    pub.announce(ns('studio', 'room1'));
    const viewer = session();
    viewer.requestSubscribe(video1);
    await settle();
    for (let g = 0; g < 4; g++) for (let o = 0; o < 2; o++) pub.send(video1, obj(g, o));
    await settle();

    const ok = viewer.requestFetch(video1, loc(2, 0), loc(9, 0));
    await settle();
    expect(ok.accepted).toEqual({ endOfTrack: false, endLocation: loc(3, 2) });
    expect(ok.writer!.payloads).toEqual(['g2o0', 'g2o1', 'g3o0', 'g3o1']);
    expect(ok.writer!.closed).toBe(true);

    const evicted = viewer.requestFetch(video1, loc(1, 0), loc(3, 0));
    expect(evicted.rejectedWith).toBe(RequestErrorCode.INVALID_RANGE);
    const unknown = viewer.requestFetch(audio2, loc(0, 0), loc(1, 0));
    expect(unknown.rejectedWith).toBe(RequestErrorCode.DOES_NOT_EXIST);
    expect(relay.stats.cacheGroups).toBe(2);
  });

  it('forwards FETCHes the cache cannot answer to the publisher when configured to', async () => {
    const answer = {
      objects: [obj(0, 0, 'old0'), obj(0, 1, 'old1')],
      endOfTrack: false,
      endLocation: loc(0, 2),
    };
    const { relay, session } = setup({ fetchFromPublisher: true });
    const pub = session({ fetchAnswer: answer });
    pub.announce(ns('studio', 'room1'));
    const viewer = session();
    const forwarded = viewer.requestFetch(video1, loc(0, 0), loc(1, 0));
    await settle();
    expect(pub.fetches.map((f) => f.options)).toEqual([{ start: loc(0, 0), end: loc(1, 0) }]);
    expect(forwarded.accepted).toEqual({ endOfTrack: false, endLocation: loc(0, 2) });
    expect(forwarded.writer!.payloads).toEqual(['old0', 'old1']);
    expect(relay.stats).toMatchObject({ objectsIn: 2, objectsOut: 2 });

    const refusing = session();
    refusing.announce(ns('studio', 'room2'));
    const refused = viewer.requestFetch(audio2, loc(0, 0), loc(1, 0));
    await settle();
    expect(refused.rejectedWith).toBe(RequestErrorCode.NOT_SUPPORTED);
    expect(viewer.requestFetch(fullTrackName(['nowhere'], 'x'), loc(0, 0), loc(1, 0)).rejectedWith).toBe(
      RequestErrorCode.DOES_NOT_EXIST,
    );
  });

  it('starts a LargestObject late joiner at the current group first object, then goes live', async () => {
    const { session } = setup();
    const pub = session();
    pub.announce(ns('studio', 'room1'));
    const first = session().requestSubscribe(video1);
    await settle();
    for (let o = 0; o < 3; o++) pub.send(video1, obj(0, o));
    pub.send(video1, obj(1, 0, 'key'));
    pub.send(video1, obj(1, 1));
    await settle();

    const late = session().requestSubscribe(video1);
    const nextGroup = session().requestSubscribe(video1, { type: 'next-group-start' });
    const absolute = session().requestSubscribe(video1, { type: 'absolute-start', start: loc(0, 2) });
    await settle();
    expect(late.acceptedLargest).toEqual(loc(1, 1));
    pub.send(video1, obj(1, 2));
    pub.send(video1, obj(2, 0));
    await settle();
    expect(late.writer!.payloads).toEqual(['key', 'g1o1', 'g1o2', 'g2o0']);
    expect(nextGroup.writer!.payloads).toEqual(['g2o0']);
    expect(absolute.writer!.payloads).toEqual(['g0o2', 'key', 'g1o1', 'g1o2', 'g2o0']);
    expect(first.writer!.payloads).toHaveLength(7);
    expect(late.writer!.subgroups.map((s) => s.groupId)).toEqual([1n, 2n]);
  });
});

describe('slow and vanishing subscribers', () => {
  it('a subscriber leaving mid-group does not disturb others; the last one leaving cancels upstream', async () => {
    const { relay, session } = setup();
    const pub = session();
    pub.announce(ns('studio', 'room1'));
    const a = session().requestSubscribe(video1);
    const b = session().requestSubscribe(video1);
    await settle();
    pub.send(video1, obj(0, 0));
    await settle();
    a.writer!.pause();
    pub.send(video1, obj(0, 1));
    pub.send(video1, obj(0, 2));
    await settle();
    a.session.close(); // disconnects with writes in flight
    pub.send(video1, obj(0, 3));
    pub.send(video1, obj(1, 0));
    await settle();
    expect(a.writer!.payloads).toEqual(['g0o0']);
    expect(b.writer!.payloads).toEqual(['g0o0', 'g0o1', 'g0o2', 'g0o3', 'g1o0']);
    expect(relay.stats).toMatchObject({ downstreamSubscriptions: 1, upstreamSubscriptions: 1 });
    expect(pub.subscriptions[0]!.cancelled).toBe(false);

    b.writer!.cancel();
    await settle();
    expect(pub.subscriptions[0]!.cancelled).toBe(true);
    expect(relay.stats).toMatchObject({ downstreamSubscriptions: 0, upstreamSubscriptions: 0 });

    // A new subscriber opens a fresh upstream subscription.
    session().requestSubscribe(video1);
    await settle();
    expect(pub.live(video1)).toHaveLength(1);
  });

  it('a stalled subscriber skips to the newest group without slowing the others', async () => {
    const { relay, session } = setup({ maxQueuedObjects: 4 });
    const pub = session();
    pub.announce(ns('studio', 'room1'));
    const slow = session().requestSubscribe(video1);
    const fast = session().requestSubscribe(video1);
    await settle();
    slow.writer!.pause();
    const sent: string[] = [];
    for (let g = 0; g < 3; g++) {
      for (let o = 0; o < 3; o++) {
        pub.send(video1, obj(g, o));
        sent.push(`g${g}o${o}`);
        await settle(2); // the fast subscriber keeps up with the publisher's pace
      }
    }
    await settle();
    expect(fast.writer!.payloads).toEqual(sent);
    slow.writer!.resume();
    await settle();
    // Group 0's stream (with the write it stalled in) was reset; delivery resumes with the newest group.
    expect(slow.writer!.payloads).toEqual(['g2o0', 'g2o1', 'g2o2']);
    expect(slow.writer!.subgroups[0]!.abortedWith).toBeDefined();
    expect(slow.writer!.finished).toBeUndefined();
    expect(relay.stats.drops).toBeGreaterThan(0);
  });

  it("with lagPolicy 'finish' a stalled subscriber is ended with TOO_FAR_BEHIND", async () => {
    const { relay, session } = setup({ maxQueuedObjects: 2, lagPolicy: 'finish' });
    const pub = session();
    pub.announce(ns('studio', 'room1'));
    const slow = session().requestSubscribe(video1);
    const fast = session().requestSubscribe(video1);
    await settle();
    slow.writer!.pause();
    for (let o = 0; o < 6; o++) {
      pub.send(video1, obj(0, o));
      await settle(2);
    }
    slow.writer!.resume();
    await settle();
    expect(slow.writer!.finished?.statusCode).toBe(PublishDoneCode.TOO_FAR_BEHIND);
    expect(fast.writer!.payloads).toHaveLength(6);
    expect(relay.stats).toMatchObject({ tooFarBehind: 1, downstreamSubscriptions: 1 });
  });
});

describe('authorization', () => {
  const secret = enc('0123456789abcdef0123456789abcdef');
  const exp = Math.floor(Date.now() / 1000) + 3600;
  const token = (role: 'publish' | 'subscribe', ...prefix: string[]) =>
    relayAuthToken(mintRelayToken(secret, { role, prefix: ns(...prefix), exp }));

  it('refuses requests without a fitting token with the right code', async () => {
    const { session } = setup({ authorize: createTokenAuthorizer(secret) });
    const pub = session();
    expect(pub.announce(ns('studio', 'room1')).rejectedWith).toBe(RequestErrorCode.UNAUTHORIZED);
    expect(pub.announce(ns('studio', 'room1'), [token('subscribe', 'studio')]).rejectedWith).toBe(
      RequestErrorCode.UNAUTHORIZED,
    );
    const expired = relayAuthToken(mintRelayToken(secret, { role: 'publish', prefix: ns('studio'), exp: 1 }));
    expect(pub.announce(ns('studio', 'room1'), [expired]).rejectedWith).toBe(
      RequestErrorCode.EXPIRED_AUTH_TOKEN,
    );
    const garbage = relayAuthToken(enc('garbage'));
    expect(pub.announce(ns('studio', 'room1'), [garbage]).rejectedWith).toBe(
      RequestErrorCode.MALFORMED_AUTH_TOKEN,
    );
    expect(pub.announce(ns('studio', 'room1'), [token('publish', 'studio', 'room2')]).rejectedWith).toBe(
      RequestErrorCode.UNAUTHORIZED,
    );
    // One good token among bad ones is enough.
    expect(pub.announce(ns('studio', 'room1'), [garbage, token('publish', 'studio')]).outcome?.type).toBe(
      'accepted',
    );

    const viewer = session();
    expect(viewer.requestSubscribe(video1).rejectedWith).toBe(RequestErrorCode.UNAUTHORIZED);
    expect(viewer.requestSubscribe(video1, undefined, [token('publish', 'studio')]).rejectedWith).toBe(
      RequestErrorCode.UNAUTHORIZED,
    );
    expect(viewer.requestFetch(video1, loc(0, 0), loc(1, 0)).rejectedWith).toBe(
      RequestErrorCode.UNAUTHORIZED,
    );
    expect(viewer.requestSubscribeNamespace(ns('studio')).rejectedWith).toBe(RequestErrorCode.UNAUTHORIZED);
    expect(viewer.requestSubscribeNamespace(ns(), [token('subscribe', 'studio')]).rejectedWith).toBe(
      RequestErrorCode.UNAUTHORIZED,
    );

    const allowed = viewer.requestSubscribe(video1, undefined, [token('subscribe', 'studio', 'room1')]);
    const listing = viewer.requestSubscribeNamespace(ns('studio'), [token('subscribe', 'studio')]);
    await settle();
    expect(allowed.outcome?.type).toBe('accepted');
    expect(listing.announcer!.events).toEqual(['+room1']);
  });

  it('accepts the token a session presented in SETUP', async () => {
    const { session } = setup({ authorize: createTokenAuthorizer(secret) });
    const setupToken = encodeAuthToken(token('publish', 'studio'));
    const pub = session({ peer: { authorizationToken: setupToken } });
    expect(pub.announce(ns('studio', 'room1')).outcome?.type).toBe('accepted');
  });

  it('allows everything without an authorizer, and a custom boolean authorizer works', () => {
    const open = setup();
    expect(open.session().announce(ns('x')).outcome?.type).toBe('accepted');
    const custom = setup({ authorize: (_t, action) => action === 'subscribe' });
    expect(custom.session().announce(ns('x')).rejectedWith).toBe(RequestErrorCode.UNAUTHORIZED);
  });
});

describe('shutdown', () => {
  it('close() ends subscribers with GOING_AWAY, cancels upstreams and refuses new requests', async () => {
    const { relay, session } = setup();
    const pub = session();
    pub.announce(ns('studio', 'room1'));
    const viewer = session().requestSubscribe(video1);
    await settle();
    relay.close();
    await settle();
    expect(viewer.writer!.finished?.statusCode).toBe(PublishDoneCode.GOING_AWAY);
    expect(pub.subscriptions[0]!.cancelled).toBe(true);
    expect(pub.announce(ns('studio', 'room2')).rejectedWith).toBe(RequestErrorCode.GOING_AWAY);
  });
});
