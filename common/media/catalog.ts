// The MSF catalog (draft-ietf-moq-msf §5) a producer publishes on its `catalog` track: JSON naming
// the broadcast's LOC tracks and what a viewer needs to configure its decoders. Every catalog we
// publish is independent (object 0 of a new group), so delta updates are refused. Each track says
// `encryptionScheme: "sframe-mls"` (RFC 9605 §5.2 keys from the MLS group) with its SFrame cipher
// suite; a catalog that describes unprotected media, or carries key material itself, is refused —
// the studio never plays plaintext media and keys only ever come from MLS.
//
// The parser is strict about the fields it knows (types, ranges, lengths, uniqueness) and ignores
// fields it does not know, as MSF requires. Sizes are bounded before and after parsing.

export const MSF_VERSION = 'draft-01';
export const CATALOG_TRACK_NAME = 'catalog';
export const SFRAME_MLS_SCHEME = 'sframe-mls' as const;
/** MSF cipher-suite names (draft-ietf-moq-msf, "Cipher suite") of the SFrame suites we can use. */
export const CATALOG_CIPHER_SUITES = ['aes-128-gcm-sha256', 'aes-256-gcm-sha512'] as const;
export type CatalogCipherSuite = (typeof CATALOG_CIPHER_SUITES)[number];

export const MAX_CATALOG_BYTES = 64 * 1024;
export const MAX_CATALOG_TRACKS = 32;
const MAX_NAME_LENGTH = 256;
const MAX_NAMESPACE_LENGTH = 4096;
const MAX_CODEC_LENGTH = 64;
/** WebCodecs codec strings: "vp8", "avc1.42E01F", "av01.0.08M.08", "opus", "mp4a.40.2". */
const CODEC_PATTERN = /^[A-Za-z0-9][A-Za-z0-9.+-]*$/;
const CHANNEL_CONFIG_PATTERN = /^[0-9A-Za-z.:/_-]{1,32}$/;

interface TrackBase {
  readonly name: string;
  /** MSF namespaces are strings; absent means the catalog track's own namespace. */
  readonly namespace?: string | undefined;
  readonly packaging: 'loc';
  readonly isLive: boolean;
  readonly codec: string;
  /** Maximum bits per second. */
  readonly bitrate: number;
  readonly renderGroup?: number | undefined;
  readonly encryptionScheme: typeof SFRAME_MLS_SCHEME;
  readonly cipherSuite: CatalogCipherSuite;
}

export interface VideoTrackEntry extends TrackBase {
  readonly role: 'video';
  readonly width: number;
  readonly height: number;
  readonly framerate: number;
  /** Milliseconds between keyframes at most. */
  readonly maxGopDuration?: number | undefined;
}

export interface AudioTrackEntry extends TrackBase {
  readonly role: 'audio';
  readonly samplerate: number;
  /** MSF channel configuration, e.g. "1" or "2". */
  readonly channelConfig: string;
}

export type CatalogTrack = VideoTrackEntry | AudioTrackEntry;

export interface Catalog {
  readonly version: typeof MSF_VERSION;
  /** Milliseconds since the Unix epoch. */
  readonly generatedAt?: number | undefined;
  readonly tracks: readonly CatalogTrack[];
}

export class CatalogError extends Error {
  override readonly name = 'CatalogError';
  constructor(
    /** Where in the document the problem is, e.g. `tracks[1].width`. */
    readonly path: string,
    message: string,
  ) {
    super(`catalog ${path}: ${message}`);
  }
}

// ---- building ----

export interface CatalogInput {
  /** The broadcast's media namespace (MoQ tuple); written joined by "/" as in MSF's examples. */
  readonly namespace?: readonly string[];
  readonly generatedAt?: number;
  readonly cipherSuite?: CatalogCipherSuite;
  readonly video?: Omit<
    VideoTrackEntry,
    'namespace' | 'packaging' | 'role' | 'isLive' | 'encryptionScheme' | 'cipherSuite'
  >;
  readonly audio?: Omit<
    AudioTrackEntry,
    'namespace' | 'packaging' | 'role' | 'isLive' | 'encryptionScheme' | 'cipherSuite'
  >;
}

export function catalogNamespace(namespace: readonly string[]): string {
  return namespace.join('/');
}

/** A complete catalog for a live producer; validated, so a bad input throws CatalogError here. */
export function buildCatalog(input: CatalogInput): Catalog {
  const shared = {
    ...(input.namespace ? { namespace: catalogNamespace(input.namespace) } : {}),
    packaging: 'loc' as const,
    isLive: true,
    encryptionScheme: SFRAME_MLS_SCHEME,
    cipherSuite: input.cipherSuite ?? 'aes-128-gcm-sha256',
  };
  const tracks: CatalogTrack[] = [];
  if (input.video) tracks.push({ ...input.video, ...shared, role: 'video' });
  if (input.audio) tracks.push({ ...input.audio, ...shared, role: 'audio' });
  const catalog: Catalog = {
    version: MSF_VERSION,
    ...(input.generatedAt !== undefined ? { generatedAt: input.generatedAt } : {}),
    tracks,
  };
  return validateCatalog(catalog);
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeCatalog(catalog: Catalog): Uint8Array {
  const bytes = utf8Encoder.encode(JSON.stringify(validateCatalog(catalog)));
  if (bytes.length > MAX_CATALOG_BYTES) throw new CatalogError('$', 'larger than the size limit');
  return bytes;
}

// ---- parsing ----

/** Strict parser for catalog bytes from the network (after SFrame decryption). */
export function parseCatalog(bytes: Uint8Array): Catalog {
  if (bytes.length > MAX_CATALOG_BYTES) throw new CatalogError('$', `larger than ${MAX_CATALOG_BYTES} bytes`);
  let text: string;
  try {
    text = utf8Decoder.decode(bytes);
  } catch {
    throw new CatalogError('$', 'not valid UTF-8');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CatalogError('$', 'not valid JSON');
  }
  return validateCatalog(json);
}

/** Checks an already-parsed JSON value and returns a clean copy holding only the known fields. */
export function validateCatalog(value: unknown): Catalog {
  const root = object(value, '$');
  if (root.version !== MSF_VERSION)
    throw new CatalogError('version', `must be "${MSF_VERSION}" (got ${describe(root.version)})`);
  if (root.deltaUpdate !== undefined)
    throw new CatalogError('deltaUpdate', 'delta updates are not supported; every catalog is independent');
  const generatedAt = optional(root.generatedAt, (v) =>
    integer(v, 'generatedAt', 0, Number.MAX_SAFE_INTEGER),
  );
  if (!Array.isArray(root.tracks)) throw new CatalogError('tracks', 'must be an array');
  if (root.tracks.length > MAX_CATALOG_TRACKS)
    throw new CatalogError('tracks', `has more than ${MAX_CATALOG_TRACKS} tracks`);
  const tracks = root.tracks.map((track, i) => validateTrack(track, `tracks[${i}]`));
  const seen = new Set<string>();
  tracks.forEach((track, i) => {
    const key = JSON.stringify([track.namespace ?? null, track.name]);
    if (seen.has(key)) throw new CatalogError(`tracks[${i}].name`, `"${track.name}" is declared twice`);
    seen.add(key);
  });
  return { version: MSF_VERSION, ...(generatedAt !== undefined ? { generatedAt } : {}), tracks };
}

function validateTrack(value: unknown, path: string): CatalogTrack {
  const track = object(value, path);
  const at = (field: string) => `${path}.${field}`;
  if (track.packaging !== 'loc')
    throw new CatalogError(at('packaging'), `only "loc" is supported (got ${describe(track.packaging)})`);
  if (track.encryptionScheme !== SFRAME_MLS_SCHEME)
    throw new CatalogError(
      at('encryptionScheme'),
      `must be "${SFRAME_MLS_SCHEME}": unprotected or differently protected media is refused`,
    );
  for (const secret of ['trackBaseKey', 'keyId'] as const) {
    if (track[secret] !== undefined)
      throw new CatalogError(at(secret), 'keys come from the MLS group, never from the catalog');
  }
  const base = {
    name: string(track.name, at('name'), MAX_NAME_LENGTH, 1),
    ...optionalField('namespace', track.namespace, (v) =>
      string(v, at('namespace'), MAX_NAMESPACE_LENGTH, 1),
    ),
    packaging: 'loc' as const,
    isLive: boolean(track.isLive, at('isLive')),
    codec: codec(track.codec, at('codec')),
    bitrate: integer(track.bitrate, at('bitrate'), 1, 1_000_000_000),
    ...optionalField('renderGroup', track.renderGroup, (v) => integer(v, at('renderGroup'), 0, 2 ** 31)),
    encryptionScheme: SFRAME_MLS_SCHEME,
    cipherSuite: oneOf(track.cipherSuite, at('cipherSuite'), CATALOG_CIPHER_SUITES),
  } as const;
  if (track.role === 'video') {
    return {
      ...base,
      role: 'video',
      width: integer(track.width, at('width'), 1, 16384),
      height: integer(track.height, at('height'), 1, 16384),
      framerate: number(track.framerate, at('framerate'), 0, 1000),
      ...optionalField('maxGopDuration', track.maxGopDuration, (v) =>
        integer(v, at('maxGopDuration'), 1, 3_600_000),
      ),
    };
  }
  if (track.role === 'audio') {
    const channelConfig = string(track.channelConfig, at('channelConfig'), 32, 1);
    if (!CHANNEL_CONFIG_PATTERN.test(channelConfig))
      throw new CatalogError(at('channelConfig'), 'has unexpected characters');
    return {
      ...base,
      role: 'audio',
      samplerate: integer(track.samplerate, at('samplerate'), 1000, 768_000),
      channelConfig,
    };
  }
  throw new CatalogError(at('role'), `must be "video" or "audio" (got ${describe(track.role)})`);
}

// ---- field checks ----

function object(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new CatalogError(path, 'must be an object');
  return value as Record<string, unknown>;
}

function string(value: unknown, path: string, maxLength: number, minLength = 0): string {
  if (typeof value !== 'string') throw new CatalogError(path, `must be a string (got ${describe(value)})`);
  if (value.length < minLength || value.length > maxLength)
    throw new CatalogError(path, `length must be ${minLength}..${maxLength}`);
  return value;
}

function codec(value: unknown, path: string): string {
  const text = string(value, path, MAX_CODEC_LENGTH, 1);
  if (!CODEC_PATTERN.test(text)) throw new CatalogError(path, 'is not a WebCodecs codec string');
  return text;
}

function boolean(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean') throw new CatalogError(path, `must be a boolean (got ${describe(value)})`);
  return value;
}

function number(value: unknown, path: string, exclusiveMin: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= exclusiveMin || value > max)
    throw new CatalogError(path, `must be a number in (${exclusiveMin}, ${max}] (got ${describe(value)})`);
  return value;
}

function integer(value: unknown, path: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw new CatalogError(path, `must be an integer in [${min}, ${max}] (got ${describe(value)})`);
  return value;
}

function oneOf<T extends string>(value: unknown, path: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value))
    throw new CatalogError(path, `must be one of ${allowed.join(', ')} (got ${describe(value)})`);
  return value as T;
}

function optional<T>(value: unknown, check: (value: unknown) => T): T | undefined {
  return value === undefined ? undefined : check(value);
}

function optionalField<K extends string, T>(
  key: K,
  value: unknown,
  check: (value: unknown) => T,
): { [P in K]?: T } {
  return value === undefined ? {} : ({ [key]: check(value) } as { [P in K]: T });
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value);
  if (value === null || Array.isArray(value)) return value === null ? 'null' : 'an array';
  return typeof value === 'object' ? 'an object' : typeof value === 'number' ? String(value) : typeof value;
}
