// SUBSCRIBE end to end: objects in order across groups with properties, group dropping for a
// slow consumer, PUBLISH_DONE, cancellation in both directions, datagrams and early data streams.
import { describe, expect, it } from 'vitest';
import { Draft18 } from '../../../main/moqt/codec/draft18/index.js';
import { PublishDoneCode } from '../../../main/moqt/codec/error-codes.js';
import type { IncomingSubscribe, MoqtObject, TrackWriter } from '../../../main/moqt/session/api.js';
import type { SubscriptionImpl } from '../../../main/moqt/session/subscription.js';
import { bytes, closeAll, collect, connect, sendUni, sleep, summary, text, TRACK } from './helpers.js';

/** A server whose handler accepts every SUBSCRIBE and hands the writer to the test. */
async function publisherPair(transport = {}) {
  const writers: TrackWriter[] = [];
  const requests: IncomingSubscribe[] = [];
  let notify: (() => void) | undefined;
  const pair = await connect(
    {},
    {
      handler: {
        onSubscribe(request) {
          requests.push(request);
          writers.push(request.accept({ largest: { group: 4n, object: 7n } }));
          notify?.();
        },
      },
    },
    transport,
  );
  const nextWriter = async (): Promise<TrackWriter> => {
    while (writers.length === 0) await new Promise<void>((resolve) => (notify = resolve));
    return writers.shift()!;
  };
  return { ...pair, nextWriter, requests };
}

describe('subscribe', () => {
  it('delivers objects in order across groups, with properties, priority and end-of-group', async () => {
    const pair = await publisherPair({ maxChunk: 3 });
    const subscription = await pair.client.subscribe(TRACK, { subscriberPriority: 7 });
    expect(subscription.requestId).toBe(0n);
    expect(subscription.largest).toEqual({ group: 4n, object: 7n });
    expect(pair.requests[0]!.subscriberPriority).toBe(7);
    expect(pair.requests[0]!.filter).toEqual({ type: 'largest-object' });
    expect(text(pair.requests[0]!.track.name)).toBe('video');
    const writer = await pair.nextWriter();
    expect(writer.trackAlias).toBe(subscription.trackAlias);

    const received = collect(subscription, 3 * 4);
    for (let group = 5n; group < 8n; group++) {
      const subgroup = await writer.openSubgroup({ groupId: group, publisherPriority: 9 });
      await subgroup.write(0n, bytes(`g${group}o0`), [{ type: 0x3cn, value: 1n }]);
      await subgroup.write(1n, bytes(`g${group}o1`));
      await subgroup.write(5n, bytes(`g${group}o5`), [{ type: 0x7n, value: bytes('kid') }]);
      await subgroup.close({ endOfGroup: true });
    }
    const objects = await received;
    expect(objects.map(summary)).toEqual(
      [5n, 6n, 7n].flatMap((g) => [
        `${g}/0:normal:g${g}o0`,
        `${g}/1:normal:g${g}o1`,
        `${g}/5:normal:g${g}o5`,
        `${g}/6:end-of-group:`,
      ]),
    );
    expect(objects[0]!.properties).toEqual([{ type: 0x3cn, value: 1n }]);
    expect(text(objects[2]!.properties[0]!.value as Uint8Array)).toBe('kid');
    expect(objects.every((o) => o.publisherPriority === 9 && o.subgroupId === 0n)).toBe(true);
    closeAll(pair);
  });

  it('uses explicit subgroup IDs and the default priority 128 when none is given', async () => {
    const pair = await publisherPair();
    const subscription = await pair.client.subscribe(TRACK);
    const writer = await pair.nextWriter();
    const subgroup = await writer.openSubgroup({ groupId: 1n, subgroupId: 3n });
    await subgroup.write(10n, bytes('x'));
    const [object] = await collect(subscription, 1);
    expect(object).toMatchObject({ groupId: 1n, subgroupId: 3n, objectId: 10n, publisherPriority: 128 });
    closeAll(pair);
  });

  it('drops whole oldest groups when the consumer is too slow, and counts them', async () => {
    const pair = await publisherPair();
    const subscription = (await pair.client.subscribe(TRACK, { maxBufferedObjects: 4 })) as SubscriptionImpl;
    const writer = await pair.nextWriter();
    for (let group = 0n; group < 6n; group++) {
      const subgroup = await writer.openSubgroup({ groupId: group });
      for (let id = 0n; id < 3n; id++) await subgroup.write(id, bytes(`${group}.${id}`));
      await subgroup.close();
    }
    writer.finish(PublishDoneCode.TRACK_ENDED, 'bye');
    await subscription.done;
    await sleep(20); // let the last streams drain into the buffer
    const objects: MoqtObject[] = await collect(subscription);
    const byGroup = new Map<bigint, bigint[]>();
    for (const o of objects) byGroup.set(o.groupId, [...(byGroup.get(o.groupId) ?? []), o.objectId]);
    // Only whole groups survive, the newest among them, and the drops are counted.
    for (const ids of byGroup.values()) expect(ids).toEqual([0n, 1n, 2n]);
    expect(byGroup.has(5n)).toBe(true);
    expect(subscription.droppedGroups).toBeGreaterThan(0);
    expect(subscription.droppedGroups + byGroup.size).toBe(6);
    expect(subscription.droppedObjects).toBe(3 * subscription.droppedGroups);
    closeAll(pair);
  });

  it('ends iteration after PUBLISH_DONE once all counted streams are read', async () => {
    const pair = await publisherPair({ maxChunk: 5 });
    const subscription = await pair.client.subscribe(TRACK);
    const writer = await pair.nextWriter();
    const a = await writer.openSubgroup({ groupId: 0n });
    const b = await writer.openSubgroup({ groupId: 1n });
    await a.write(0n, bytes('a'));
    await b.write(0n, bytes('b'));
    await b.close();
    writer.finish(PublishDoneCode.TRACK_ENDED, 'the end'); // FINs `a` before PUBLISH_DONE
    const objects = await collect(subscription);
    expect(objects.map(summary).sort()).toEqual(['0/0:normal:a', '1/0:normal:b']);
    expect(await subscription.done).toEqual({ statusCode: PublishDoneCode.TRACK_ENDED, reason: 'the end' });
    await expect(writer.openSubgroup({ groupId: 2n })).rejects.toThrow(/after finish/);
    closeAll(pair);
  });

  it('PUBLISH_DONE with no streams ends the iteration at once', async () => {
    const pair = await publisherPair();
    const subscription = await pair.client.subscribe(TRACK);
    const writer = await pair.nextWriter();
    writer.finish(PublishDoneCode.SUBSCRIPTION_ENDED);
    expect(await collect(subscription)).toEqual([]);
    expect(await subscription.done).toEqual({ statusCode: PublishDoneCode.SUBSCRIPTION_ENDED, reason: '' });
    closeAll(pair);
  });

  it('resolves writer.cancelled when the subscriber cancels, and drops later writes', async () => {
    const pair = await publisherPair();
    const subscription = await pair.client.subscribe(TRACK);
    const writer = await pair.nextWriter();
    const subgroup = await writer.openSubgroup({ groupId: 0n });
    await subgroup.write(0n, bytes('first'));
    const [first] = await collect(subscription, 1); // breaking out of the loop cancels
    expect(text(first!.payload)).toBe('first');
    await writer.cancelled;
    await subgroup.write(1n, bytes('dropped')); // resolves, goes nowhere
    const late = await writer.openSubgroup({ groupId: 1n });
    await late.write(0n, bytes('dropped too'));
    expect(await subscription.done).toMatchObject({ statusCode: PublishDoneCode.SUBSCRIPTION_ENDED });
    expect(pair.client.isClosed || pair.server.isClosed).toBe(false);
    closeAll(pair);
  });

  it('cancel() ends a pending iteration and resolves the publisher side', async () => {
    const pair = await publisherPair();
    const subscription = await pair.client.subscribe(TRACK);
    const writer = await pair.nextWriter();
    const iteration = collect(subscription);
    subscription.cancel();
    expect(await iteration).toEqual([]);
    await writer.cancelled;
    closeAll(pair);
  });

  it('delivers datagrams routed by track alias', async () => {
    const pair = await publisherPair();
    const subscription = await pair.client.subscribe(TRACK);
    await pair.nextWriter();
    const datagrams = pair.serverTransport.datagrams.writable.getWriter();
    await datagrams.write(
      Draft18.encodeDatagram({
        kind: 'object',
        trackAlias: subscription.trackAlias,
        groupId: 3n,
        objectId: 2n,
        publisherPriority: 1,
        properties: [],
        endOfGroup: false,
        payload: bytes('dgram'),
      }),
    );
    await datagrams.write(
      Draft18.encodeDatagram({
        kind: 'status',
        trackAlias: subscription.trackAlias,
        groupId: 3n,
        objectId: 3n,
        properties: [],
        status: 4,
      }),
    );
    const objects = await collect(subscription, 2);
    expect(objects.map(summary)).toEqual(['3/2:normal:dgram', '3/3:end-of-track:']);
    expect(objects[1]!.publisherPriority).toBe(128);
    closeAll(pair);
  });

  it('buffers a data stream that arrives before SUBSCRIBE_OK', async () => {
    let accept: (() => void) | undefined;
    let writer: TrackWriter | undefined;
    const pair = await connect(
      {},
      {
        handler: {
          onSubscribe(request) {
            accept = () => (writer = request.accept());
          },
        },
      },
    );
    const pending = pair.client.subscribe(TRACK);
    while (accept === undefined) await sleep(1);
    // The first alias the server hands out is 0: send its data before answering.
    const header = Draft18.encodeSubgroupStream(
      {
        kind: 'subgroup',
        trackAlias: 0n,
        groupId: 9n,
        subgroupIdMode: 'zero',
        hasProperties: false,
        endOfGroup: false,
        firstObject: true,
      },
      [{ objectId: 0n, properties: [], status: 0, payload: bytes('early') }],
    );
    await sendUni(pair.serverTransport, header);
    await sleep(30);
    accept();
    const subscription = await pending;
    expect(writer!.trackAlias).toBe(0n);
    const [object] = await collect(subscription, 1);
    expect(summary(object!)).toBe('9/0:normal:early');
    closeAll(pair);
  });

  it('marks subgroups as starting at their first object (draft-18 FIRST_OBJECT)', async () => {
    const pair = await publisherPair();
    const headers: boolean[] = [];
    // Capture the SUBGROUP_HEADER the writer sends by reading the raw stream on the client side.
    const originalCreate = pair.serverTransport.createUnidirectionalStream.bind(pair.serverTransport);
    pair.serverTransport.createUnidirectionalStream = async () => {
      const writable = await originalCreate();
      const writer = writable.getWriter();
      return new WritableStream<Uint8Array>({
        async write(chunk) {
          if (headers.length === 0 || chunk.length > 0) {
            try {
              headers.push(Draft18.decodeSubgroupHeader(chunk).firstObject);
            } catch {
              // Not a subgroup header (objects follow in later chunks).
            }
          }
          await writer.write(chunk);
        },
        close: () => writer.close(),
        abort: (reason) => writer.abort(reason),
      });
    };
    const subscription = await pair.client.subscribe(TRACK);
    const writer = await pair.nextWriter();
    const received = collect(subscription, 1);
    const subgroup = await writer.openSubgroup({ groupId: 1n });
    await subgroup.write(0n, bytes('x'));
    await received;
    expect(headers[0]).toBe(true);
    closeAll(pair);
  });

  it('reports the end of a group signalled by the END_OF_GROUP header bit and FIN', async () => {
    let writer: TrackWriter | undefined;
    const pair = await connect(
      {},
      { handler: { onSubscribe: (request) => void (writer = request.accept()) } },
    );
    const subscription = await pair.client.subscribe(TRACK);
    while (writer === undefined) await sleep(1);
    const stream = Draft18.encodeSubgroupStream(
      {
        kind: 'subgroup',
        trackAlias: writer.trackAlias,
        groupId: 3n,
        subgroupIdMode: 'zero',
        hasProperties: false,
        endOfGroup: true,
        firstObject: true,
      },
      [
        { objectId: 0n, properties: [], status: 0, payload: bytes('a') },
        { objectId: 1n, properties: [], status: 0, payload: bytes('b') },
      ],
    );
    await sendUni(pair.serverTransport, stream);
    const objects = await collect(subscription, 3);
    expect(objects.map(summary)).toEqual(['3/0:normal:a', '3/1:normal:b', '3/2:end-of-group:']);
    closeAll(pair);
  });

  it('ends the subscription when the publisher goes away', async () => {
    const pair = await publisherPair();
    const subscription = await pair.client.subscribe(TRACK);
    await pair.nextWriter();
    pair.server.close(0, 'done');
    expect(await collect(subscription)).toEqual([]);
    // Depending on which the transport reports first: the stream reset or the session close.
    expect(await subscription.done).toMatchObject({ statusCode: PublishDoneCode.INTERNAL_ERROR });
    expect(await pair.client.closed).toMatchObject({ code: 0, reason: 'done', local: false });
  });
});
