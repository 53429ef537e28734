// Strict, key-less parsers for the few RFC 9420 structures the Coordination Service must read:
// the seed-002 Request and CommitRequest bodies, and the cleartext header of a PrivateMessage.
// Everything else stays opaque; we only check the framing so garbage never reaches the tracks.

/** Thrown with the path of the field that failed, so a 400 can say exactly what was wrong. */
export class MlsWireError extends Error {
  override readonly name = 'MlsWireError';
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

export const MLS10 = 1;
export const WireFormat = {
  publicMessage: 1,
  privateMessage: 2,
  welcome: 3,
  groupInfo: 4,
  keyPackage: 5,
} as const;
export const ContentType = { application: 1, proposal: 2, commit: 3 } as const;
/**
 * The seed leaves RequestType's values open. We number from 1, like every RFC 9420 enum, keeping 0
 * reserved so an all-zero body is never a valid request.
 */
export const RequestType = { join: 1, leave: 2 } as const;

export interface PrivateMessageHeader {
  readonly groupId: Uint8Array;
  readonly epoch: bigint;
  readonly contentType: number;
}

export type ParsedRequest =
  | { readonly type: 'join'; readonly keyPackage: Uint8Array }
  | { readonly type: 'leave'; readonly message: Uint8Array; readonly header: PrivateMessageHeader };

export interface ParsedCommitRequest {
  /** The whole MLSMessage (what goes on the CommitTrack). */
  readonly commit: Uint8Array;
  readonly header: PrivateMessageHeader;
  /** The whole MLSMessage carrying the Welcome, if present (what goes on the WelcomeTrack). */
  readonly welcome?: Uint8Array;
}

/** A bounds-checked cursor; every read names the field so errors point at it. */
class Reader {
  offset = 0;
  constructor(readonly bytes: Uint8Array) {}

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  take(length: number, field: string): Uint8Array {
    if (length > this.remaining) {
      throw new MlsWireError(field, `needs ${length} bytes but only ${this.remaining} remain`);
    }
    const out = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }

  uint8(field: string): number {
    return this.take(1, field)[0]!;
  }

  uint16(field: string): number {
    const b = this.take(2, field);
    return (b[0]! << 8) | b[1]!;
  }

  uint64(field: string): bigint {
    const b = this.take(8, field);
    let value = 0n;
    for (const byte of b) value = (value << 8n) | BigInt(byte);
    return value;
  }

  /** RFC 9420 §2.1.2 variable-size length: 2-bit prefix, 1/2/4 bytes, minimal encoding required. */
  varint(field: string): number {
    const first = this.take(1, `${field} length`)[0]!;
    const prefix = first >> 6;
    if (prefix === 3) throw new MlsWireError(`${field} length`, 'invalid varint prefix 0b11');
    const size = 1 << prefix;
    let value = first & 0x3f;
    const rest = this.take(size - 1, `${field} length`);
    for (const byte of rest) value = value * 256 + byte;
    const minimal = value < 64 ? 1 : value < 16384 ? 2 : 4;
    if (size !== minimal) throw new MlsWireError(`${field} length`, 'varint is not minimally encoded');
    return value;
  }

  /** opaque field<V>. */
  vector(field: string): Uint8Array {
    const length = this.varint(field);
    return this.take(length, field);
  }

  /** A vector whose content is itself a sequence of items; each item must consume exactly its bytes. */
  vectorOf(field: string, item: (reader: Reader, index: number) => void): void {
    const inner = new Reader(this.vector(field));
    for (let index = 0; inner.remaining > 0; index++) item(inner, index);
  }

  end(field: string): void {
    if (this.remaining !== 0) throw new MlsWireError(field, `${this.remaining} trailing bytes`);
  }
}

function expectVersion(reader: Reader, field: string): void {
  const version = reader.uint16(field);
  if (version !== MLS10)
    throw new MlsWireError(field, `unsupported protocol version ${version} (want mls10 = 1)`);
}

function readPrivateMessageBody(reader: Reader, field: string): PrivateMessageHeader {
  const groupId = reader.vector(`${field}.group_id`);
  const epoch = reader.uint64(`${field}.epoch`);
  const contentType = reader.uint8(`${field}.content_type`);
  if (contentType < 1 || contentType > 3) {
    throw new MlsWireError(`${field}.content_type`, `unknown content type ${contentType}`);
  }
  reader.vector(`${field}.authenticated_data`);
  reader.vector(`${field}.encrypted_sender_data`);
  reader.vector(`${field}.ciphertext`);
  return { groupId: groupId.slice(), epoch, contentType };
}

function readCredential(reader: Reader, field: string): void {
  const type = reader.uint16(`${field}.credential_type`);
  if (type === 1) reader.vector(`${field}.identity`);
  else if (type === 2)
    reader.vectorOf(`${field}.certificates`, (r, i) => r.vector(`${field}.certificates[${i}]`));
  // Other credential types have no framing we could check without knowing them.
  else throw new MlsWireError(`${field}.credential_type`, `unsupported credential type ${type}`);
}

function readExtensions(reader: Reader, field: string): void {
  reader.vectorOf(field, (r, i) => {
    r.uint16(`${field}[${i}].extension_type`);
    r.vector(`${field}[${i}].extension_data`);
  });
}

function readUint16List(reader: Reader, field: string): void {
  reader.vectorOf(field, (r, i) => r.uint16(`${field}[${i}]`));
}

/** RFC 9420 §7.2 LeafNode, as it appears in a KeyPackage (leaf_node_source must be key_package). */
function readLeafNode(reader: Reader, field: string): void {
  reader.vector(`${field}.encryption_key`);
  reader.vector(`${field}.signature_key`);
  readCredential(reader, `${field}.credential`);
  for (const list of ['versions', 'cipher_suites', 'extensions', 'proposals', 'credentials']) {
    readUint16List(reader, `${field}.capabilities.${list}`);
  }
  const source = reader.uint8(`${field}.leaf_node_source`);
  if (source !== 1) {
    throw new MlsWireError(
      `${field}.leaf_node_source`,
      `must be key_package (1) in a KeyPackage, got ${source}`,
    );
  }
  reader.uint64(`${field}.lifetime.not_before`);
  reader.uint64(`${field}.lifetime.not_after`);
  readExtensions(reader, `${field}.extensions`);
  reader.vector(`${field}.signature`);
}

function readKeyPackageBody(reader: Reader, field: string): void {
  expectVersion(reader, `${field}.version`);
  reader.uint16(`${field}.cipher_suite`);
  reader.vector(`${field}.init_key`);
  readLeafNode(reader, `${field}.leaf_node`);
  readExtensions(reader, `${field}.extensions`);
  reader.vector(`${field}.signature`);
}

function readWelcomeBody(reader: Reader, field: string): void {
  reader.uint16(`${field}.cipher_suite`);
  reader.vectorOf(`${field}.secrets`, (r, i) => {
    r.vector(`${field}.secrets[${i}].new_member`);
    r.vector(`${field}.secrets[${i}].encrypted_group_secrets.kem_output`);
    r.vector(`${field}.secrets[${i}].encrypted_group_secrets.ciphertext`);
  });
  reader.vector(`${field}.encrypted_group_info`);
}

/** Reads one MLSMessage of the given wire format and returns its exact bytes. */
function readMlsMessage<T>(
  reader: Reader,
  field: string,
  wireFormat: number,
  body: (reader: Reader, field: string) => T,
): { bytes: Uint8Array; value: T } {
  const start = reader.offset;
  expectVersion(reader, `${field}.version`);
  const actual = reader.uint16(`${field}.wire_format`);
  if (actual !== wireFormat) {
    throw new MlsWireError(`${field}.wire_format`, `expected ${wireFormat}, got ${actual}`);
  }
  const value = body(reader, field);
  // A copy: stored payloads must not pin the request buffer.
  return { bytes: reader.bytes.slice(start, reader.offset), value };
}

/**
 * Request (seed 002 §4.1). The join arm carries the KeyPackage framed as an MLSMessage
 * (wire_format mls_key_package = 5), the way MLS clients already exchange KeyPackages, so the
 * RequestTrack object is self-describing; the leave arm carries an MLSMessage with a PrivateMessage.
 */
export function parseRequest(bytes: Uint8Array): ParsedRequest {
  const reader = new Reader(bytes);
  const type = reader.uint8('request_type');
  if (type === RequestType.join) {
    const { bytes: keyPackage } = readMlsMessage(
      reader,
      'key_package',
      WireFormat.keyPackage,
      readKeyPackageBody,
    );
    reader.end('request');
    return { type: 'join', keyPackage };
  }
  if (type === RequestType.leave) {
    const { bytes: message, value: header } = readMlsMessage(
      reader,
      'remove',
      WireFormat.privateMessage,
      readPrivateMessageBody,
    );
    reader.end('request');
    if (header.contentType !== ContentType.proposal) {
      throw new MlsWireError(
        'remove.content_type',
        `a leave request carries a proposal (2), got ${header.contentType}`,
      );
    }
    return { type: 'leave', message, header };
  }
  throw new MlsWireError('request_type', `unknown request type ${type} (join = 1, leave = 2)`);
}

/** CommitRequest (seed 002 §5): MLSMessage commit; optional<MLSMessage> welcome (uint8 presence flag). */
export function parseCommitRequest(bytes: Uint8Array): ParsedCommitRequest {
  const reader = new Reader(bytes);
  const { bytes: commit, value: header } = readMlsMessage(
    reader,
    'commit',
    WireFormat.privateMessage,
    readPrivateMessageBody,
  );
  if (header.contentType !== ContentType.commit) {
    throw new MlsWireError('commit.content_type', `must be commit (3), got ${header.contentType}`);
  }
  const present = reader.uint8('welcome.present');
  if (present > 1) throw new MlsWireError('welcome.present', `optional flag must be 0 or 1, got ${present}`);
  let welcome: Uint8Array | undefined;
  if (present === 1) welcome = readMlsMessage(reader, 'welcome', WireFormat.welcome, readWelcomeBody).bytes;
  reader.end('commit_request');
  return welcome ? { commit, header, welcome } : { commit, header };
}

// ---- encoders: used by tests and by clients of the service ----

export function encodeVarint(value: number): Uint8Array {
  if (value < 64) return Uint8Array.of(value);
  if (value < 16384) return Uint8Array.of(0x40 | (value >> 8), value & 0xff);
  if (value < 2 ** 30)
    return Uint8Array.of(0x80 | (value >>> 24), (value >> 16) & 0xff, (value >> 8) & 0xff, value & 0xff);
  throw new RangeError('MLS vectors are limited to 2^30 - 1 bytes');
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function vec(bytes: Uint8Array): Uint8Array {
  return concat(encodeVarint(bytes.length), bytes);
}

export function u16(value: number): Uint8Array {
  return Uint8Array.of(value >> 8, value & 0xff);
}

export function u64(value: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, value);
  return out;
}

/** An MLSMessage(PrivateMessage) whose encrypted parts are the given opaque bytes. */
export function encodePrivateMessage(options: {
  groupId: Uint8Array;
  epoch: bigint;
  contentType: number;
  ciphertext?: Uint8Array;
}): Uint8Array {
  return concat(
    u16(MLS10),
    u16(WireFormat.privateMessage),
    vec(options.groupId),
    u64(options.epoch),
    Uint8Array.of(options.contentType),
    vec(new Uint8Array(0)),
    vec(new Uint8Array(16)),
    vec(options.ciphertext ?? new Uint8Array(32)),
  );
}
