// The publisher's side of one accepted SUBSCRIBE: opens subgroup streams (SUBGROUP_HEADER then
// delta-coded objects), counts them for PUBLISH_DONE, and turns the subscriber's cancellation
// into silently dropped writes so producers never have to handle a cancelled track specially.
import { ByteWriter } from '../../../common/codec/byte-writer.js';
import type { KeyValuePair } from '../../../common/codec/key-value-pairs.js';
import { StreamResetCode } from '../codec/error-codes.js';
import { ObjectStatus, writeSubgroupHeader, writeSubgroupObject } from '../codec/draft18/index.js';
import type { SubgroupHeader } from '../codec/draft18/index.js';
import type { SubgroupWriter, TrackWriter } from './api.js';
import type { SessionContext } from './context.js';
import type { RequestStream } from './request-stream.js';
import { deferred, finishWriter, ignore, resetWriter } from './stream-io.js';

export class TrackWriterImpl implements TrackWriter {
  readonly cancelled: Promise<void>;
  private readonly resolveCancelled: () => void;
  private isCancelled = false;
  private finished = false;
  private streamCount = 0n;
  private readonly open = new Set<SubgroupWriterImpl>();
  private readonly opening = new Set<Promise<unknown>>();

  constructor(
    readonly trackAlias: bigint,
    private readonly request: RequestStream,
    private readonly context: SessionContext,
  ) {
    const cancelled = deferred<void>();
    this.cancelled = cancelled.promise;
    this.resolveCancelled = cancelled.resolve;
  }

  /** The subscriber cancelled or the session closed: stop everything, drop further writes. */
  cancel(): void {
    if (this.isCancelled) return;
    this.isCancelled = true;
    for (const subgroup of this.open) subgroup.abort(StreamResetCode.CANCELLED);
    this.open.clear();
    this.resolveCancelled();
  }

  async openSubgroup(options: {
    groupId: bigint;
    subgroupId?: bigint;
    publisherPriority?: number;
    firstObject?: boolean;
  }): Promise<SubgroupWriter> {
    if (this.finished) throw new Error('openSubgroup after finish()');
    const header: SubgroupHeader = {
      kind: 'subgroup',
      trackAlias: this.trackAlias,
      groupId: options.groupId,
      ...(options.subgroupId !== undefined && options.subgroupId !== 0n
        ? { subgroupIdMode: 'explicit' as const, subgroupId: options.subgroupId }
        : { subgroupIdMode: 'zero' as const }),
      ...(options.publisherPriority !== undefined && { publisherPriority: options.publisherPriority }),
      // Every object may carry properties (e.g. the SecureObjects key ID), so always allow them.
      hasProperties: true,
      endOfGroup: false,
      // An Original Publisher MUST claim it for a new subgroup; a relay says when it may.
      firstObject: options.firstObject ?? true,
    };
    const headerBytes = new ByteWriter(32);
    writeSubgroupHeader(headerBytes, header); // validates priority / IDs before opening a stream
    if (this.isCancelled || this.context.isClosed) return new SubgroupWriterImpl(undefined, () => undefined);
    const creating = this.context.transport.createUnidirectionalStream();
    this.opening.add(creating);
    let writable: WritableStream<Uint8Array>;
    try {
      writable = await creating;
    } catch {
      // The session is closing; the writer behaves as cancelled.
      return new SubgroupWriterImpl(undefined, () => undefined);
    } finally {
      this.opening.delete(creating);
    }
    this.streamCount++;
    const writer = writable.getWriter();
    if (this.isCancelled) {
      resetWriter(writer, StreamResetCode.CANCELLED);
      return new SubgroupWriterImpl(undefined, () => undefined);
    }
    const subgroup = new SubgroupWriterImpl(writer, () => this.open.delete(subgroup));
    this.open.add(subgroup);
    subgroup.writeRaw(headerBytes.finish());
    return subgroup;
  }

  finish(statusCode: bigint, reason = ''): void {
    if (this.finished) return;
    this.finished = true;
    if (this.isCancelled) return;
    // PUBLISH_DONE must follow the last data stream: wait for streams being opened, FIN the
    // ones still open, then report the exact count.
    const run = async (): Promise<void> => {
      await Promise.allSettled([...this.opening]);
      await Promise.allSettled([...this.open].map((subgroup) => subgroup.close()));
      if (this.isCancelled || this.context.isClosed) return;
      this.request.send({ type: 'publishDone', statusCode, streamCount: this.streamCount, reason });
      this.request.finish();
    };
    ignore(run().catch((error: unknown) => this.context.fail(error)));
  }
}

export class SubgroupWriterImpl implements SubgroupWriter {
  private previousObjectId: bigint | undefined;
  private ended = false;

  /** `writer` undefined: a writer for a cancelled track, which drops everything. */
  constructor(
    private readonly writer: WritableStreamDefaultWriter<Uint8Array> | undefined,
    private readonly onEnd: () => void,
  ) {
    if (writer === undefined) this.ended = true;
  }

  /** Queues bytes without waiting (the header). */
  writeRaw(bytes: Uint8Array): void {
    if (this.ended || this.writer === undefined) return;
    ignore(this.writer.write(bytes));
  }

  async write(
    objectId: bigint,
    payload: Uint8Array,
    properties: readonly KeyValuePair[] = [],
  ): Promise<void> {
    this.checkOrder(objectId);
    if (this.ended) return;
    const bytes = new ByteWriter(payload.length + 32);
    writeSubgroupObject(bytes, true, this.previousObjectId, {
      objectId,
      properties,
      status: ObjectStatus.NORMAL,
      payload,
    });
    this.previousObjectId = objectId;
    await this.send(bytes.finish());
  }

  async close(options: { endOfGroup?: boolean } = {}): Promise<void> {
    if (this.ended || this.writer === undefined) return;
    if (options.endOfGroup) {
      // The header went out before we knew this was the last subgroup, so mark the group's end
      // with an explicit END_OF_GROUP status object after the last object.
      const objectId = this.previousObjectId === undefined ? 0n : this.previousObjectId + 1n;
      const bytes = new ByteWriter(8);
      const status = ObjectStatus.END_OF_GROUP;
      writeSubgroupObject(bytes, true, this.previousObjectId, {
        objectId,
        properties: [],
        status,
        payload: new Uint8Array(0),
      });
      this.previousObjectId = objectId;
      ignore(this.writer.write(bytes.finish()));
    }
    this.ended = true;
    this.onEnd();
    finishWriter(this.writer);
    try {
      await this.writer.closed;
    } catch {
      // stopped by the subscriber or the session closed: nothing left to deliver
    }
  }

  abort(code: number = StreamResetCode.CANCELLED): void {
    if (this.ended || this.writer === undefined) return;
    this.ended = true;
    this.onEnd();
    resetWriter(this.writer, code);
  }

  private checkOrder(objectId: bigint): void {
    if (this.previousObjectId !== undefined && objectId <= this.previousObjectId) {
      throw new RangeError(`object ${objectId} does not follow ${this.previousObjectId} in this subgroup`);
    }
  }

  private async send(bytes: Uint8Array): Promise<void> {
    try {
      await this.writer!.write(bytes);
    } catch {
      // STOP_SENDING from the subscriber (or the session closed): later writes are dropped.
      this.ended = true;
      this.onEnd();
    }
  }
}
