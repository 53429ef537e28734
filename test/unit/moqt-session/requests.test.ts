// FETCH, namespace subscription and publication, rejection and missing handler methods.
import { describe, expect, it } from 'vitest';
import { RequestErrorCode } from '../../../main/moqt/codec/error-codes.js';
import type {
  IncomingFetch,
  IncomingPublishNamespace,
  MoqtObject,
  NamespaceAnnouncer,
} from '../../../main/moqt/session/api.js';
import { RequestRejectedError } from '../../../main/moqt/session/api.js';
import { bytes, closeAll, collect, connect, sleep, summary, text, TRACK } from './helpers.js';

const ns = (...fields: string[]) => fields.map((field) => bytes(field));
const show = (namespace: readonly Uint8Array[]) => namespace.map(text).join('/');

describe('fetch', () => {
  it('returns FETCH_OK fields and the objects of the FETCH_HEADER stream', async () => {
    let seen: IncomingFetch | undefined;
    const pair = await connect(
      {},
      {
        handler: {
          onFetch(request) {
            seen = request;
            void (async () => {
              const writer = await request.accept({
                endOfTrack: true,
                endLocation: { group: 2n, object: 1n },
              });
              for (let group = 0n; group < 3n; group++) {
                for (let id = 0n; id < 2n; id++) {
                  const object: MoqtObject = {
                    groupId: group,
                    subgroupId: 0n,
                    objectId: id,
                    publisherPriority: 5,
                    status: 'normal',
                    properties: id === 0n ? [{ type: 0x3cn, value: group }] : [],
                    payload: bytes(`f${group}.${id}`),
                  };
                  await writer.write(object);
                }
              }
              await writer.close();
            })();
          },
        },
      },
      { maxChunk: 4 },
    );
    const result = await pair.client.fetch(TRACK, {
      start: { group: 0n, object: 0n },
      end: { group: 2n, object: 1n },
    });
    expect(seen!.start).toEqual({ group: 0n, object: 0n });
    expect(seen!.end).toEqual({ group: 2n, object: 1n });
    expect(result.endOfTrack).toBe(true);
    expect(result.endLocation).toEqual({ group: 2n, object: 1n });
    const objects = await collect(result);
    expect(objects.map(summary)).toEqual([
      '0/0:normal:f0.0',
      '0/1:normal:f0.1',
      '1/0:normal:f1.0',
      '1/1:normal:f1.1',
      '2/0:normal:f2.0',
      '2/1:normal:f2.1',
    ]);
    expect(objects[2]!.properties).toEqual([{ type: 0x3cn, value: 1n }]);
    expect(objects.every((o) => o.publisherPriority === 5)).toBe(true);
    closeAll(pair);
  });

  it('cancel() ends the iteration; later writes by the responder are dropped', async () => {
    let release: (() => void) | undefined;
    let finished = false;
    const pair = await connect(
      {},
      {
        handler: {
          onFetch(request) {
            void (async () => {
              const writer = await request.accept({
                endOfTrack: false,
                endLocation: { group: 9n, object: 0n },
              });
              const object = (objectId: bigint): MoqtObject => ({
                groupId: 0n,
                subgroupId: 0n,
                objectId,
                publisherPriority: 1,
                status: 'normal',
                properties: [],
                payload: bytes('x'),
              });
              await writer.write(object(0n));
              await new Promise<void>((resolve) => (release = resolve));
              for (let id = 1n; id < 20n; id++) await writer.write(object(id));
              await writer.close();
              finished = true;
            })();
          },
        },
      },
    );
    const result = await pair.client.fetch(TRACK, {
      start: { group: 0n, object: 0n },
      end: { group: 9n, object: 0n },
    });
    const [first] = await collect(result, 1); // break → cancel
    expect(first!.objectId).toBe(0n);
    await sleep(10);
    release!();
    while (!finished) await sleep(1);
    expect(pair.client.isClosed || pair.server.isClosed).toBe(false);
    closeAll(pair);
  });

  it('rejects with RequestRejectedError when the publisher refuses', async () => {
    const pair = await connect(
      {},
      { handler: { onFetch: (request) => request.reject(RequestErrorCode.INVALID_RANGE, 'no such range') } },
    );
    const fetch = pair.client.fetch(TRACK, {
      start: { group: 5n, object: 0n },
      end: { group: 1n, object: 0n },
    });
    await expect(fetch).rejects.toBeInstanceOf(RequestRejectedError);
    await expect(fetch).rejects.toMatchObject({
      errorCode: RequestErrorCode.INVALID_RANGE,
      reason: 'no such range',
    });
    closeAll(pair);
  });
});

describe('namespaces', () => {
  it('SUBSCRIBE_NAMESPACE: REQUEST_OK, then NAMESPACE / NAMESPACE_DONE, cancel reaches the publisher', async () => {
    let announcer: NamespaceAnnouncer | undefined;
    let prefix = '';
    const pair = await connect(
      {},
      {
        handler: {
          onSubscribeNamespace(request) {
            prefix = show(request.prefix);
            announcer = request.accept();
            announcer.announce(ns('alice'));
            announcer.announce(ns('bob', 'cam'));
          },
        },
      },
    );
    const subscription = await pair.client.subscribeNamespace(ns('studio', 'room1'));
    expect(prefix).toBe('studio/room1');
    expect(show(subscription.prefix)).toBe('studio/room1');
    const iterator = subscription[Symbol.asyncIterator]();
    const first = await iterator.next();
    const second = await iterator.next();
    announcer!.withdraw(ns('alice'));
    const third = await iterator.next();
    expect([first.value, second.value, third.value].map((e) => `${e.type}:${show(e.suffix)}`)).toEqual([
      'namespace:alice',
      'namespace:bob/cam',
      'namespace-done:alice',
    ]);
    subscription.cancel();
    await announcer!.cancelled;
    announcer!.announce(ns('late')); // dropped quietly
    expect((await iterator.next()).done).toBe(true);
    closeAll(pair);
  });

  it('PUBLISH_NAMESPACE: REQUEST_OK; withdraw() closes the stream and resolves `withdrawn`', async () => {
    let incoming: IncomingPublishNamespace | undefined;
    const pair = await connect(
      {},
      {
        handler: {
          onPublishNamespace(request) {
            incoming = request;
            request.accept();
          },
        },
      },
    );
    const publication = await pair.client.publishNamespace(ns('studio', 'room1'), {
      authorizationToken: bytes('tok'),
    });
    expect(publication.requestId).toBe(0n);
    expect(show(incoming!.namespace)).toBe('studio/room1');
    expect(incoming!.authorizationTokens).toEqual([
      { aliasType: 'use-value', tokenType: 0n, value: bytes('tok') },
    ]);
    let withdrawn = false;
    void incoming!.withdrawn.then(() => (withdrawn = true));
    await sleep(10);
    expect(withdrawn).toBe(false);
    publication.withdraw();
    await incoming!.withdrawn;
    closeAll(pair);
  });

  it('request IDs go 0, 2, 4 from the client and 1, 3 from the server', async () => {
    const accept = { onPublishNamespace: (r: IncomingPublishNamespace) => r.accept() };
    const pair = await connect({ handler: accept }, { handler: accept });
    const ids = [
      (await pair.client.publishNamespace(ns('a'))).requestId,
      (await pair.client.publishNamespace(ns('b'))).requestId,
      (await pair.server.publishNamespace(ns('c'))).requestId,
      (await pair.client.publishNamespace(ns('d'))).requestId,
      (await pair.server.publishNamespace(ns('e'))).requestId,
    ];
    expect(ids).toEqual([0n, 2n, 1n, 4n, 3n]);
    closeAll(pair);
  });
});

describe('rejection and missing handlers', () => {
  it('a rejected SUBSCRIBE rejects with RequestRejectedError', async () => {
    const pair = await connect(
      {},
      { handler: { onSubscribe: (request) => request.reject(RequestErrorCode.DOES_NOT_EXIST, 'no track') } },
    );
    await expect(pair.client.subscribe(TRACK)).rejects.toMatchObject({
      name: 'RequestRejectedError',
      errorCode: RequestErrorCode.DOES_NOT_EXIST,
      reason: 'no track',
    });
    closeAll(pair);
  });

  it('answers NOT_SUPPORTED when there is no handler or no handler method', async () => {
    const pair = await connect({}, { handler: {} });
    for (const attempt of [
      () => pair.client.subscribe(TRACK),
      () => pair.client.subscribeNamespace(ns('x')),
      () => pair.client.publishNamespace(ns('x')),
      () => pair.server.subscribe(TRACK), // the client has no handler at all
      () => pair.client.fetch(TRACK, { start: { group: 0n, object: 0n }, end: { group: 0n, object: 0n } }),
    ]) {
      await expect(attempt()).rejects.toMatchObject({ errorCode: RequestErrorCode.NOT_SUPPORTED });
    }
    expect(pair.client.isClosed || pair.server.isClosed).toBe(false);
    closeAll(pair);
  });

  it('a handler that throws is answered INTERNAL_ERROR', async () => {
    const pair = await connect(
      {},
      {
        handler: {
          onSubscribe() {
            throw new Error('boom');
          },
        },
      },
    );
    await expect(pair.client.subscribe(TRACK)).rejects.toMatchObject({
      errorCode: RequestErrorCode.INTERNAL_ERROR,
      reason: 'boom',
    });
    closeAll(pair);
  });
});
