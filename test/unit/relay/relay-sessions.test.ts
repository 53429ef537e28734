// The relay with real MoqtSession objects over the in-memory WebTransportLike pair of the session
// tests: a publisher and two viewers, each on its own session to the relay, exchange real MoQT bytes.
import { describe, expect, it } from 'vitest';
import { fullTrackName } from '../../../common/codec/track-name.js';
import { PublishDoneCode } from '../../../main/moqt/codec/error-codes.js';
import type { MoqtObject, RequestHandler, TrackWriter } from '../../../main/moqt/session/api.js';
import { MoqtSession } from '../../../main/moqt/session/session.js';
import { Relay } from '../../../main/relay/relay.js';
import { createMemoryTransportPair } from '../moqt-session/memory-transport.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
const TRACK = fullTrackName(['studio', 'room1'], 'video');

/** Connects a client session to a fresh server session attached to the relay. */
async function connectToRelay(relay: Relay, handler?: RequestHandler): Promise<MoqtSession> {
  const [clientTransport, serverTransport] = createMemoryTransportPair();
  const [client, server] = await Promise.all([
    MoqtSession.establish(clientTransport, { role: 'client', ...(handler ? { handler } : {}) }),
    MoqtSession.establish(serverTransport, { role: 'server', handler: relay.handler }),
  ]);
  relay.accept(server);
  return client;
}

/** Reads `count` objects without ending the iteration (breaking out of for-await would cancel). */
async function take(iterable: AsyncIterable<MoqtObject>, count: number): Promise<string[]> {
  const iterator = iterable[Symbol.asyncIterator]();
  const out: string[] = [];
  while (out.length < count) {
    const next = await iterator.next();
    if (next.done) break;
    const object = next.value;
    out.push(
      `${object.groupId}/${object.objectId}:${object.status === 'normal' ? dec(object.payload) : object.status}`,
    );
  }
  return out;
}

describe('relay over real sessions', () => {
  it('relays a published track to two viewers and passes PUBLISH_DONE on', async () => {
    const relay = new Relay();
    let upstreamWriter: ((writer: TrackWriter) => void) | undefined;
    const writerReady = new Promise<TrackWriter>((resolve) => (upstreamWriter = resolve));
    const publisher = await connectToRelay(relay, {
      onSubscribe: (request) => upstreamWriter?.(request.accept()),
    });
    await publisher.publishNamespace(TRACK.namespace);

    const watcher = await connectToRelay(relay);
    const namespaces = await watcher.subscribeNamespace([enc('studio')]);
    const firstEvent = namespaces[Symbol.asyncIterator]().next();

    const viewers = [await connectToRelay(relay), await connectToRelay(relay)];
    const subscriptions = await Promise.all(viewers.map((viewer) => viewer.subscribe(TRACK)));
    const writer = await writerReady;
    expect(relay.stats).toMatchObject({ upstreamSubscriptions: 1, downstreamSubscriptions: 2 });

    const received = subscriptions.map((subscription) => take(subscription, 6));
    for (let group = 0n; group < 2n; group++) {
      const subgroup = await writer.openSubgroup({ groupId: group });
      await subgroup.write(0n, enc(`key${group}`), [{ type: 0x3cn, value: 1n }]);
      await subgroup.write(1n, enc(`delta${group}`));
      await subgroup.close({ endOfGroup: true });
    }
    // The subgroup's END_OF_GROUP surfaces as an end-of-group status object at both ends.
    const expected = [
      '0/0:key0',
      '0/1:delta0',
      '0/2:end-of-group',
      '1/0:key1',
      '1/1:delta1',
      '1/2:end-of-group',
    ];
    expect(await Promise.all(received)).toEqual([expected, expected]);

    const event = await firstEvent;
    expect(event.done).toBe(false);
    if (!event.done) expect(event.value).toMatchObject({ type: 'namespace' });
    if (!event.done) expect(event.value.suffix.map(dec)).toEqual(['room1']);

    const fetched = await viewers[0]!.fetch(TRACK, {
      start: { group: 1n, object: 0n },
      end: { group: 2n, object: 0n },
    });
    expect(await take(fetched, 2)).toEqual(['1/0:key1', '1/1:delta1']);

    writer.finish(PublishDoneCode.TRACK_ENDED, 'show over');
    const done = await Promise.all(subscriptions.map((subscription) => subscription.done));
    expect(done.map((d) => d.statusCode)).toEqual([PublishDoneCode.TRACK_ENDED, PublishDoneCode.TRACK_ENDED]);

    for (const session of [publisher, watcher, ...viewers]) session.close();
    relay.close();
  });
});
