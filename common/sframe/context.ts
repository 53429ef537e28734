// An SFrame context (RFC 9605 §4 and the Appendix A API): send keys with never-repeating
// counters and AEAD usage limits; receive keys with bounded retention and per-KID anti-replay.
// Profiles (sframe-mls, and the MoQ object metadata) are built on top of this class.
import { MAX_HEADER_LENGTH, MAX_HEADER_VALUE, decodeHeader, encodeHeader } from './header.js';
import { deriveSFrameKeyAndSalt, formNonce } from './key-derivation.js';
import { KeyRing, type RetentionPolicy } from './key-ring.js';
import { DEFAULT_REPLAY_WINDOW, ReplayWindow } from './replay-window.js';
import { SFrameError } from './errors.js';
import { DEFAULT_CIPHER_SUITE, type CipherSuite } from './suites.js';
import { DEFAULT_USAGE_LIMIT_BLOCKS, UsageMeter } from './usage-limits.js';
import { isPromise, type AeadBackend, type AeadKey, type MaybePromise } from './backends/types.js';
import { concatBytes, constantTimeEqual } from '../codec/bytes.js';

const EMPTY = new Uint8Array(0);
/** Counters are reserved (and reported for persistence) in chunks, not one write per frame. */
const COUNTER_RESERVATION_CHUNK = 1024n;

export interface SFrameContextOptions {
  readonly backend: AeadBackend;
  readonly suite?: CipherSuite;
  readonly retention?: Partial<RetentionPolicy>;
  readonly replayWindow?: number;
  readonly usageLimitBlocks?: number;
  /**
   * Called with a KID no key is installed for; returns the base key (and a tag used to retire or
   * drop keys in bulk) when the KID can be derived on demand, as in the MLS profile.
   */
  readonly resolveUnknownKid?: (kid: bigint) => ResolvedKey | undefined;
  /**
   * Called before counters up to (excluding) `reservedUpTo` are used for `kid`. Persisting it and
   * passing it back as `initialCounter` after a restart guarantees no (key, nonce) is reused.
   */
  readonly onCounterReserved?: (kid: bigint, reservedUpTo: bigint) => void;
}

/** A base key found on demand for an unknown KID; `retiredAt` is set when its epoch is superseded. */
export interface ResolvedKey {
  readonly baseKey: Uint8Array;
  readonly tag: bigint;
  readonly retiredAt?: number | undefined;
}

export interface UnprotectResult {
  readonly plaintext: Uint8Array;
  readonly kid: bigint;
  readonly ctr: bigint;
}

export interface SFrameStats {
  framesProtected: number;
  framesUnprotected: number;
  rejected: Record<'malformed-header' | 'unknown-kid' | 'authentication-failed' | 'replay', number>;
}

interface SendState {
  readonly kid: bigint;
  readonly baseKey: Uint8Array;
  readonly key: MaybePromise<AeadKey>;
  readonly salt: Uint8Array;
  readonly usage: UsageMeter;
  nextCtr: bigint;
  reservedUpTo: bigint;
}

interface ReceiveState {
  readonly key: MaybePromise<AeadKey>;
  readonly salt: Uint8Array;
  readonly replay: ReplayWindow;
  readonly tag: bigint;
}

interface PreparedOpen {
  readonly state: ReceiveState;
  readonly kid: bigint;
  readonly ctr: bigint;
  readonly nonce: Uint8Array;
  readonly aad: Uint8Array;
  readonly body: Uint8Array;
}

export class SFrameContext {
  readonly suite: CipherSuite;
  readonly backend: AeadBackend;
  readonly stats: SFrameStats = {
    framesProtected: 0,
    framesUnprotected: 0,
    rejected: { 'malformed-header': 0, 'unknown-kid': 0, 'authentication-failed': 0, replay: 0 },
  };
  private readonly sendKeys = new Map<bigint, SendState>();
  private readonly receiveKeys: KeyRing<ReceiveState>;
  private readonly replayWindow: number;
  private readonly usageLimitBlocks: number;

  constructor(private readonly options: SFrameContextOptions) {
    this.suite = options.suite ?? DEFAULT_CIPHER_SUITE;
    this.backend = options.backend;
    this.replayWindow = options.replayWindow ?? DEFAULT_REPLAY_WINDOW;
    this.usageLimitBlocks = options.usageLimitBlocks ?? DEFAULT_USAGE_LIMIT_BLOCKS;
    this.receiveKeys = new KeyRing<ReceiveState>(options.retention);
  }

  // ---- send side ----

  /**
   * Sets the key used to protect frames under `kid`. Setting the same base key again keeps the
   * counter, so re-provisioning can never rewind it onto an already-used nonce.
   */
  setSendKey(kid: bigint, baseKey: Uint8Array, initialCounter = 0n): void {
    checkKid(kid);
    const existing = this.sendKeys.get(kid);
    if (existing && constantTimeEqual(existing.baseKey, baseKey)) {
      if (initialCounter > existing.nextCtr) existing.nextCtr = existing.reservedUpTo = initialCounter;
      return;
    }
    const { key, salt } = deriveSFrameKeyAndSalt(this.suite, kid, baseKey);
    this.sendKeys.set(kid, {
      kid,
      baseKey: baseKey.slice(),
      key: this.backend.importKey(this.suite, key),
      salt,
      usage: new UsageMeter(this.usageLimitBlocks),
      nextCtr: initialCounter,
      reservedUpTo: initialCounter,
    });
  }

  removeSendKey(kid: bigint): void {
    this.sendKeys.delete(kid);
  }

  hasSendKey(kid: bigint): boolean {
    return this.sendKeys.has(kid);
  }

  /** Encrypts `plaintext` under `kid`, binding `metadata` (e.g. the MoQ object identity) into the AAD. */
  async protect(kid: bigint, plaintext: Uint8Array, metadata: Uint8Array = EMPTY): Promise<Uint8Array> {
    const { state, ctr } = this.nextCounter(kid, plaintext.length);
    const key = isPromise(state.key) ? await state.key : state.key;
    return this.seal(state, key, ctr, plaintext, metadata);
  }

  /** Synchronous `protect`, for synchronous backends (noble, node). */
  protectSync(kid: bigint, plaintext: Uint8Array, metadata: Uint8Array = EMPTY): Uint8Array {
    const { state, ctr } = this.nextCounter(kid, plaintext.length);
    const sealed = this.seal(state, requireSync(state.key), ctr, plaintext, metadata);
    return requireSync(sealed);
  }

  private nextCounter(kid: bigint, plaintextLength: number): { state: SendState; ctr: bigint } {
    const state = this.sendKeys.get(kid);
    if (!state) throw new SFrameError('no-send-key', `no send key is set for KID ${kid}`);
    const ctr = state.nextCtr;
    if (ctr > MAX_HEADER_VALUE)
      throw new SFrameError('key-exhausted', `counter space of KID ${kid} is exhausted`);
    state.usage.charge(plaintextLength);
    if (ctr >= state.reservedUpTo) {
      const upTo = min(ctr + COUNTER_RESERVATION_CHUNK, MAX_HEADER_VALUE + 1n);
      this.options.onCounterReserved?.(kid, upTo);
      state.reservedUpTo = upTo;
    }
    // The counter advances before any await, so concurrent calls can never share a nonce.
    state.nextCtr = ctr + 1n;
    return { state, ctr };
  }

  private seal(state: SendState, key: AeadKey, ctr: bigint, plaintext: Uint8Array, metadata: Uint8Array) {
    const header = encodeHeader(state.kid, ctr);
    const aad = metadata.length === 0 ? header : concatBytes(header, metadata);
    this.stats.framesProtected++;
    return key.seal(formNonce(state.salt, ctr), aad, plaintext, header);
  }

  // ---- receive side ----

  /** Installs a key for decrypting frames under `kid`. `tag` groups keys (e.g. by epoch). */
  addReceiveKey(kid: bigint, baseKey: Uint8Array, tag = 0n, retiredAt?: number): void {
    checkKid(kid);
    const { key, salt } = deriveSFrameKeyAndSalt(this.suite, kid, baseKey);
    const state = {
      key: this.backend.importKey(this.suite, key),
      salt,
      replay: new ReplayWindow(this.replayWindow),
      tag,
    };
    this.receiveKeys.set(kid, state, retiredAt);
  }

  removeReceiveKey(kid: bigint): void {
    this.receiveKeys.delete(kid);
  }

  /** Starts the retention clock of receive keys whose tag matches. */
  retireReceiveKeys(predicate: (tag: bigint) => boolean): void {
    this.receiveKeys.retire((_kid, state) => predicate(state.tag));
  }

  /** Drops receive keys whose tag matches, at once. */
  dropReceiveKeys(predicate: (tag: bigint) => boolean): void {
    this.receiveKeys.deleteWhere((_kid, state) => predicate(state.tag));
  }

  get retention(): RetentionPolicy {
    return this.receiveKeys.policy;
  }

  get receiveKeyCount(): number {
    return this.receiveKeys.size;
  }

  async unprotect(ciphertext: Uint8Array, metadata: Uint8Array = EMPTY): Promise<UnprotectResult> {
    const prepared = this.prepareOpen(ciphertext, metadata);
    const key = isPromise(prepared.state.key) ? await prepared.state.key : prepared.state.key;
    let plaintext = key.open(prepared.nonce, prepared.aad, prepared.body);
    try {
      if (isPromise(plaintext)) plaintext = await plaintext;
    } catch (error) {
      throw this.countRejection(error);
    }
    return this.acceptOpened(prepared, plaintext);
  }

  /** Synchronous `unprotect`, for synchronous backends (noble, node). */
  unprotectSync(ciphertext: Uint8Array, metadata: Uint8Array = EMPTY): UnprotectResult {
    const prepared = this.prepareOpen(ciphertext, metadata);
    const key = requireSync(prepared.state.key);
    let plaintext: Uint8Array;
    try {
      plaintext = requireSync(key.open(prepared.nonce, prepared.aad, prepared.body));
    } catch (error) {
      throw this.countRejection(error);
    }
    return this.acceptOpened(prepared, plaintext);
  }

  private prepareOpen(ciphertext: Uint8Array, metadata: Uint8Array): PreparedOpen {
    try {
      const header = decodeHeader(
        ciphertext.length > MAX_HEADER_LENGTH ? ciphertext.subarray(0, MAX_HEADER_LENGTH) : ciphertext,
      );
      const state = this.receiveKeys.get(header.kid) ?? this.resolveOnDemand(header.kid);
      if (!state) throw new SFrameError('unknown-kid', `no key for KID ${header.kid}`);
      if (state.replay.check(header.ctr) !== 'fresh') {
        throw new SFrameError(
          'replay',
          `CTR ${header.ctr} of KID ${header.kid} was already accepted or is too old`,
        );
      }
      const headerBytes = ciphertext.subarray(0, header.length);
      return {
        state,
        kid: header.kid,
        ctr: header.ctr,
        nonce: formNonce(state.salt, header.ctr),
        aad: metadata.length === 0 ? headerBytes : concatBytes(headerBytes, metadata),
        body: ciphertext.subarray(header.length),
      };
    } catch (error) {
      throw this.countRejection(error);
    }
  }

  private resolveOnDemand(kid: bigint): ReceiveState | undefined {
    const resolved = this.options.resolveUnknownKid?.(kid);
    if (!resolved) return undefined;
    this.addReceiveKey(kid, resolved.baseKey, resolved.tag, resolved.retiredAt);
    return this.receiveKeys.get(kid);
  }

  private acceptOpened(prepared: PreparedOpen, plaintext: Uint8Array): UnprotectResult {
    // Re-check: a concurrent unprotect of the same frame may have been accepted while we awaited.
    if (prepared.state.replay.check(prepared.ctr) !== 'fresh') {
      throw this.countRejection(
        new SFrameError('replay', `CTR ${prepared.ctr} of KID ${prepared.kid} was already accepted`),
      );
    }
    prepared.state.replay.commit(prepared.ctr);
    this.stats.framesUnprotected++;
    return { plaintext, kid: prepared.kid, ctr: prepared.ctr };
  }

  private countRejection(error: unknown): unknown {
    if (error instanceof SFrameError && error.code in this.stats.rejected) {
      this.stats.rejected[error.code as keyof SFrameStats['rejected']]++;
    }
    return error;
  }
}

function checkKid(kid: bigint): void {
  if (kid < 0n || kid > MAX_HEADER_VALUE)
    throw new SFrameError('invalid-argument', `KID ${kid} is outside 0..2^64-1`);
}

function requireSync<T>(value: MaybePromise<T>): T {
  if (isPromise(value)) {
    throw new SFrameError('invalid-argument', 'this backend is asynchronous; use protect/unprotect');
  }
  return value;
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
