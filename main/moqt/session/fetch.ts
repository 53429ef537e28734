// Standalone FETCH: the requester's FetchResult (objects from one FETCH_HEADER stream, with real
// backpressure since past objects must not be dropped) and the responder's FetchWriter.
import { ByteWriter } from '../../../common/codec/byte-writer.js';
import { StreamResetCode } from '../codec/error-codes.js';
import { newFetchStreamState, writeFetchHeader, writeFetchItem } from '../codec/draft18/index.js';
import type { FetchStreamState, GroupOrder, Location } from '../codec/draft18/index.js';
import type { FetchResult, FetchWriter, MoqtObject } from './api.js';
import { ObjectQueue } from './object-queue.js';
import type { RequestStream } from './request-stream.js';
import { finishWriter, ignore, resetWriter } from './stream-io.js';

/** Objects buffered per fetch before its data stream is no longer read. */
export const FETCH_BUFFER_OBJECTS = 256;

export class FetchResultImpl implements FetchResult {
  readonly queue: ObjectQueue<MoqtObject>;
  endOfTrack = false;
  endLocation: Location = { group: 0n, object: 0n };
  private dataStreamSeen = false;
  private cancelled = false;

  constructor(
    readonly requestId: bigint,
    readonly groupOrder: GroupOrder,
    private readonly onCancel: () => void,
  ) {
    this.queue = new ObjectQueue<MoqtObject>({ kind: 'wait', capacity: FETCH_BUFFER_OBJECTS }, () =>
      this.cancel(),
    );
  }

  [Symbol.asyncIterator](): AsyncIterator<MoqtObject> {
    return this.queue[Symbol.asyncIterator]();
  }

  /** The first FETCH_HEADER for this request claims it; a second one is a protocol error. */
  claimDataStream(): boolean {
    if (this.dataStreamSeen) return false;
    this.dataStreamSeen = true;
    return true;
  }

  get isCancelled(): boolean {
    return this.cancelled;
  }

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.queue.abort();
    this.onCancel();
  }
}

export class FetchWriterImpl implements FetchWriter {
  private readonly state: FetchStreamState;
  private ended = false;

  constructor(
    private readonly writer: WritableStreamDefaultWriter<Uint8Array> | undefined,
    private readonly request: RequestStream,
    requestId: bigint,
    groupOrder: GroupOrder,
  ) {
    this.state = newFetchStreamState(groupOrder);
    if (writer === undefined) {
      this.ended = true;
      return;
    }
    const header = new ByteWriter(16);
    writeFetchHeader(header, { kind: 'fetch', requestId });
    ignore(writer.write(header.finish()));
  }

  async write(object: MoqtObject): Promise<void> {
    // Fetch streams carry objects only; group/track ends are implied by the range and FETCH_OK.
    if (this.ended || object.status !== 'normal') return;
    const bytes = new ByteWriter(object.payload.length + 32);
    writeFetchItem(bytes, this.state, {
      kind: 'object',
      groupId: object.groupId,
      subgroupId: object.subgroupId,
      objectId: object.objectId,
      publisherPriority: object.publisherPriority,
      properties: object.properties,
      payload: object.payload,
    });
    try {
      await this.writer!.write(bytes.finish());
    } catch {
      this.ended = true; // the requester cancelled; drop the rest
    }
  }

  /** The requester cancelled: reset the data stream and drop later writes. */
  cancel(): void {
    if (this.ended || this.writer === undefined) return;
    this.ended = true;
    resetWriter(this.writer, StreamResetCode.CANCELLED);
  }

  async close(): Promise<void> {
    if (!this.ended && this.writer !== undefined) {
      this.ended = true;
      finishWriter(this.writer);
      try {
        await this.writer.closed;
      } catch {
        // cancelled by the requester
      }
    }
    this.request.finish();
  }
}
