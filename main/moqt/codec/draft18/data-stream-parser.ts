// Incremental parser for a draft-18 unidirectional data stream: yields the stream header (subgroup,
// fetch or padding) and then each object as soon as its bytes have arrived. Object headers are
// parsed once; payload bytes are collected in chunks and joined once, so memory and work stay
// bounded by the configured limits.
import { ByteReader } from '../../../../common/codec/byte-reader.js';
import { DecodeError } from '../../../../common/codec/errors.js';
import { ChunkBuffer } from '../chunk-buffer.js';
import { SessionErrorCode } from '../error-codes.js';
import { MoqtDecodeError, asProtocolError, protocolViolation } from '../errors.js';
import { StreamType } from './constants.js';
import { newFetchStreamState, readFetchItemHead } from './fetch-stream.js';
import type { FetchHeader, FetchItem, FetchStreamState } from './fetch-stream.js';
import { DEFAULT_MAX_PROPERTIES_LENGTH } from './object-fields.js';
import type { GroupOrder } from './parameters.js';
import {
  isSubgroupHeaderType,
  readSubgroupHeaderBody,
  readSubgroupObjectHead,
  resolveSubgroupId,
} from './subgroup.js';
import type { SubgroupHeader, SubgroupObject } from './subgroup.js';

export type UniStreamKind = 'control' | 'subgroup' | 'fetch' | 'padding';

/**
 * Classifies a unidirectional stream from its first bytes (§Unidirectional Stream Types).
 * Returns undefined until the type varint is complete; unknown types close the session.
 */
export function classifyUniStream(bytes: Uint8Array): UniStreamKind | undefined {
  let type: bigint;
  try {
    type = new ByteReader(bytes).varintBig();
  } catch (error) {
    if (error instanceof DecodeError && error.code === 'truncated') return undefined;
    throw error;
  }
  if (type === BigInt(StreamType.SETUP)) return 'control';
  if (type === BigInt(StreamType.FETCH_HEADER)) return 'fetch';
  if (type === BigInt(StreamType.PADDING)) return 'padding';
  if (isSubgroupHeaderType(type)) return 'subgroup';
  return protocolViolation(`unknown unidirectional stream type 0x${type.toString(16)}`, 'unknown-type');
}

export type DataStreamEvent =
  | { readonly event: 'subgroupHeader'; readonly header: SubgroupHeader }
  /** `subgroupId` is resolved from the header mode (and the first object for mode 0b01). */
  | { readonly event: 'subgroupObject'; readonly subgroupId: bigint; readonly object: SubgroupObject }
  | { readonly event: 'fetchHeader'; readonly header: FetchHeader }
  | { readonly event: 'fetchItem'; readonly item: FetchItem }
  | { readonly event: 'paddingHeader' };

export interface DataStreamParserOptions {
  /** Largest Object Payload Length accepted (default 16 MiB). */
  readonly maxPayloadLength?: number;
  /** Largest Object Properties block accepted (default 65535). */
  readonly maxPropertiesLength?: number;
  /** Group order of the FETCH this stream answers; needed to undo group deltas. */
  readonly fetchGroupOrder?: GroupOrder;
}

const MAX_STREAM_HEADER_LENGTH = 9 * 4 + 1;
const MAX_OBJECT_FIXED_LENGTH = 9 * 6 + 1;

type Pending =
  | {
      kind: 'subgroup';
      subgroupId: bigint;
      object: Omit<SubgroupObject, 'payload'>;
      headLength: number;
      payloadLength: number;
    }
  | { kind: 'fetch'; item: FetchItem; headLength: number; payloadLength: number };

export class DataStreamParser {
  private readonly buffer = new ChunkBuffer();
  private readonly maxPayloadLength: number;
  private readonly maxPropertiesLength: number;
  private readonly fetchGroupOrder: GroupOrder;
  private header: SubgroupHeader | FetchHeader | 'padding' | undefined;
  private previousObjectId: bigint | undefined;
  private firstObjectId: bigint | undefined;
  private fetchState: FetchStreamState | undefined;
  private pending: Pending | undefined;
  private failed: MoqtDecodeError | undefined;

  constructor(options: DataStreamParserOptions = {}) {
    this.maxPayloadLength = options.maxPayloadLength ?? 16 * 1024 * 1024;
    this.maxPropertiesLength = options.maxPropertiesLength ?? DEFAULT_MAX_PROPERTIES_LENGTH;
    this.fetchGroupOrder = options.fetchGroupOrder ?? 'ascending';
  }

  get buffered(): number {
    return this.buffer.length;
  }

  /** Adds a chunk and returns the events it completes; after an error every call rethrows it. */
  push(chunk: Uint8Array): DataStreamEvent[] {
    if (this.failed) throw this.failed;
    const events: DataStreamEvent[] = [];
    try {
      if (this.isPadding()) return events; // padding is discarded unread
      this.buffer.push(chunk);
      if (this.header === undefined && !this.readStreamHeader(events)) return events;
      if (this.isPadding()) this.buffer.skip(this.buffer.length);
      else while (this.readObject(events));
    } catch (error) {
      if (error instanceof MoqtDecodeError) this.failed = error;
      throw error;
    }
    return events;
  }

  private isPadding(): boolean {
    return this.header === 'padding';
  }

  /** The peer sent FIN: ending inside a header or object is a PROTOCOL_VIOLATION. */
  end(): void {
    if (this.failed) throw this.failed;
    if (this.isPadding()) return;
    if (this.header === undefined || this.pending !== undefined || this.buffer.length > 0) {
      this.failed = new MoqtDecodeError(
        SessionErrorCode.PROTOCOL_VIOLATION,
        'truncated',
        'data stream ended in the middle of a header or object',
      );
      throw this.failed;
    }
  }

  /** Runs `read` on a contiguous prefix; returns undefined when more bytes are needed. */
  private tryRead<T>(maxLength: number, read: (reader: ByteReader) => T): [T, number] | undefined {
    const window = this.buffer.peek(maxLength);
    const reader = new ByteReader(window);
    try {
      const value = asProtocolError(() => read(reader));
      return [value, reader.position];
    } catch (error) {
      if (error instanceof MoqtDecodeError && error.kind === 'truncated' && window.length < maxLength) {
        return undefined;
      }
      throw error;
    }
  }

  private readStreamHeader(events: DataStreamEvent[]): boolean {
    const kind = classifyUniStream(this.buffer.peek(9));
    if (kind === undefined) return false;
    if (kind === 'control')
      protocolViolation('a SETUP (control) stream is not a data stream', 'unknown-type');
    const result = this.tryRead(MAX_STREAM_HEADER_LENGTH, (reader) => {
      const type = reader.varintBig();
      if (kind === 'padding') return 'padding' as const;
      if (kind === 'fetch') return { kind: 'fetch', requestId: reader.varintBig() } satisfies FetchHeader;
      return readSubgroupHeaderBody(reader, Number(type));
    });
    if (result === undefined) return false;
    const [header, length] = result;
    this.buffer.skip(length);
    this.header = header;
    if (header === 'padding') events.push({ event: 'paddingHeader' });
    else if (header.kind === 'fetch') {
      this.fetchState = newFetchStreamState(this.fetchGroupOrder);
      events.push({ event: 'fetchHeader', header });
    } else events.push({ event: 'subgroupHeader', header });
    return true;
  }

  private readObject(events: DataStreamEvent[]): boolean {
    const header = this.header as SubgroupHeader | FetchHeader;
    if (this.pending === undefined) {
      if (this.buffer.length === 0) return false;
      const window = MAX_OBJECT_FIXED_LENGTH + this.maxPropertiesLength;
      if (header.kind === 'subgroup') {
        const result = this.tryRead(window, (reader) =>
          readSubgroupObjectHead(
            reader,
            header.hasProperties,
            this.previousObjectId,
            this.maxPropertiesLength,
          ),
        );
        if (result === undefined) return false;
        const [head, headLength] = result;
        this.checkPayloadLength(head.payloadLength);
        this.firstObjectId ??= head.objectId;
        this.previousObjectId = head.objectId;
        const { payloadLength, ...object } = head;
        this.pending = {
          kind: 'subgroup',
          subgroupId: resolveSubgroupId(header, this.firstObjectId),
          object,
          headLength,
          payloadLength,
        };
      } else {
        // Work on a copy of the state so a half-arrived object leaves no trace.
        const state = this.fetchState!;
        const draft: FetchStreamState = {
          ...state,
          ...(state.prior && { prior: { ...state.prior } }),
        };
        const result = this.tryRead(window, (reader) =>
          readFetchItemHead(reader, draft, this.maxPropertiesLength),
        );
        if (result === undefined) return false;
        const [head, headLength] = result;
        this.checkPayloadLength(head.payloadLength);
        this.fetchState = draft;
        this.pending = { kind: 'fetch', item: head.item, headLength, payloadLength: head.payloadLength };
      }
    }
    const pending = this.pending;
    if (this.buffer.length < pending.headLength + pending.payloadLength) return false;
    this.buffer.skip(pending.headLength);
    const payload = this.buffer.take(pending.payloadLength);
    this.pending = undefined;
    if (pending.kind === 'subgroup') {
      events.push({
        event: 'subgroupObject',
        subgroupId: pending.subgroupId,
        object: { ...pending.object, payload },
      });
    } else {
      events.push({
        event: 'fetchItem',
        item: pending.item.kind === 'object' ? { ...pending.item, payload } : pending.item,
      });
    }
    return true;
  }

  private checkPayloadLength(length: number): void {
    if (length > this.maxPayloadLength) {
      throw new MoqtDecodeError(
        SessionErrorCode.INTERNAL_ERROR,
        'limit',
        `object payload of ${length} bytes exceeds the local limit ${this.maxPayloadLength}`,
      );
    }
  }
}
