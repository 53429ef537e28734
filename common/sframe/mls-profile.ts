// The sframe-mls profile (seed 002, RFC 9605 §5.2): per epoch, base_key = MLS-Exporter("SFrame 1.0
// Base Key", "", Nk); each sender encrypts under KID = context << (S+E) | leaf index << E | epoch
// mod 2^E, so every member has its own key and nonce space. The context holds at most 2^E epochs;
// installing an epoch whose low E bits collide with an older one drops the older one at once.
// The MLS library is not imported here: the caller passes an exporter function.
import {
  SFrameContext,
  type ResolvedKey,
  type SFrameContextOptions,
  type UnprotectResult,
} from './context.js';
import { SFrameError } from './errors.js';
import type { MaybePromise } from './backends/types.js';

export const SFRAME_EXPORTER_LABEL = 'SFrame 1.0 Base Key';
export const DEFAULT_EPOCH_BITS = 4;

/** MLS-Exporter(label, context, length) of the epoch being installed. */
export type MlsExporter = (label: string, context: Uint8Array, length: number) => MaybePromise<Uint8Array>;

export interface KidLayout {
  /** E: low-order epoch bits carried in the KID. */
  readonly epochBits: number;
  /** S: bits for the sender's leaf index; smallest S with leafCount <= 2^S. */
  readonly senderBits: number;
}

export interface KidFields {
  readonly contextId: bigint;
  readonly senderIndex: number;
  readonly epochLowBits: bigint;
}

export function senderBitsFor(leafCount: number): number {
  if (!Number.isInteger(leafCount) || leafCount < 1) throw new RangeError(`invalid leaf count ${leafCount}`);
  let bits = 0;
  while (2 ** bits < leafCount) bits++;
  return bits;
}

export function composeKid(
  layout: KidLayout,
  fields: { contextId: bigint; senderIndex: number; epoch: bigint },
): bigint {
  const { epochBits: e, senderBits: s } = layout;
  if (fields.senderIndex < 0 || fields.senderIndex >= 2 ** s) {
    throw new SFrameError('invalid-argument', `leaf index ${fields.senderIndex} does not fit in ${s} bits`);
  }
  const kid =
    (fields.contextId << BigInt(s + e)) |
    (BigInt(fields.senderIndex) << BigInt(e)) |
    epochLow(fields.epoch, e);
  if (fields.contextId < 0n || kid >> 64n !== 0n) {
    throw new SFrameError(
      'invalid-argument',
      `context ${fields.contextId} does not fit in ${64 - s - e} bits`,
    );
  }
  return kid;
}

export function parseKid(layout: KidLayout, kid: bigint): KidFields {
  const { epochBits: e, senderBits: s } = layout;
  return {
    contextId: kid >> BigInt(s + e),
    senderIndex: Number((kid >> BigInt(e)) & ((1n << BigInt(s)) - 1n)),
    epochLowBits: epochLow(kid, e),
  };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

function epochLow(value: bigint, epochBits: number): bigint {
  return value & ((1n << BigInt(epochBits)) - 1n);
}

export interface MlsEpoch {
  readonly epoch: bigint;
  /** Number of leaves in the MLS tree in this epoch (fixes S). */
  readonly leafCount: number;
  readonly exporter: MlsExporter;
}

interface InstalledEpoch {
  readonly epoch: bigint;
  readonly layout: KidLayout;
  readonly baseKey: Uint8Array;
  /** When a newer epoch was installed; the epoch stays decryptable for the retention TTL after. */
  retiredAt: number | undefined;
}

export interface MlsUnprotectResult extends UnprotectResult {
  readonly epoch: bigint;
  readonly senderIndex: number;
  readonly contextId: bigint;
}

export interface SFrameMlsOptions extends Omit<SFrameContextOptions, 'resolveUnknownKid'> {
  /** Our own leaf index (the sender index in KIDs we send under). */
  readonly ownLeafIndex: number;
  readonly epochBits?: number;
}

export class SFrameMlsContext {
  readonly epochBits: number;
  private readonly sframe: SFrameContext;
  /** Installed epochs by their low E bits: at most 2^E at a time. */
  private readonly epochs = new Map<bigint, InstalledEpoch>();
  private sendEpoch: InstalledEpoch | undefined;
  private readonly sendKids = new Set<bigint>();
  private ownLeafIndex: number;

  constructor(options: SFrameMlsOptions) {
    this.epochBits = options.epochBits ?? DEFAULT_EPOCH_BITS;
    if (!Number.isInteger(this.epochBits) || this.epochBits < 1 || this.epochBits > 16) {
      throw new RangeError('epochBits must be between 1 and 16');
    }
    this.ownLeafIndex = options.ownLeafIndex;
    this.sframe = new SFrameContext({ ...options, resolveUnknownKid: (kid) => this.resolve(kid) });
  }

  get stats() {
    return this.sframe.stats;
  }

  get currentSendEpoch(): bigint | undefined {
    return this.sendEpoch?.epoch;
  }

  installedEpochs(): bigint[] {
    return [...this.epochs.values()].map((entry) => entry.epoch).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /**
   * Makes an epoch's keys available for decryption immediately. Older epochs start their
   * retention clock; an older epoch with the same low E bits is removed now (RFC 9605 §5.2).
   */
  async installEpoch(input: MlsEpoch): Promise<void> {
    const baseKey = await input.exporter(SFRAME_EXPORTER_LABEL, new Uint8Array(0), this.sframe.suite.nk);
    if (baseKey.length !== this.sframe.suite.nk) {
      throw new SFrameError(
        'invalid-argument',
        `exporter returned ${baseKey.length} bytes, expected ${this.sframe.suite.nk}`,
      );
    }
    const low = epochLow(input.epoch, this.epochBits);
    const previous = this.epochs.get(low);
    // The same epoch announced again (a reloaded renderer, a replayed key event) is a no-op: it
    // must neither fail nor restart the retention clock of older epochs.
    if (
      previous?.epoch === input.epoch &&
      previous.layout.senderBits === senderBitsFor(input.leafCount) &&
      sameBytes(previous.baseKey, baseKey)
    ) {
      return;
    }
    if (previous && previous.epoch >= input.epoch) {
      throw new SFrameError(
        'invalid-argument',
        `epoch ${input.epoch} is not newer than installed epoch ${previous.epoch}`,
      );
    }
    this.forgetEpoch(low);
    const now = this.sframe.retention.now();
    for (const entry of this.epochs.values()) entry.retiredAt ??= now;
    this.epochs.set(low, {
      epoch: input.epoch,
      layout: { epochBits: this.epochBits, senderBits: senderBitsFor(input.leafCount) },
      baseKey: baseKey.slice(),
      retiredAt: undefined,
    });
    this.sframe.retireReceiveKeys((tag) => tag !== low);
  }

  /** Switches sending to an installed epoch (after members acknowledged it, or a timeout). */
  useEpochForSending(epoch: bigint, ownLeafIndex = this.ownLeafIndex): void {
    const entry = this.epochs.get(epochLow(epoch, this.epochBits));
    if (!entry || entry.epoch !== epoch)
      throw new SFrameError('unknown-kid', `epoch ${epoch} is not installed`);
    if (this.sendEpoch && this.sendEpoch.epoch !== epoch) this.dropSendKeys();
    this.ownLeafIndex = ownLeafIndex;
    this.sendEpoch = entry;
  }

  /** The KID this member sends under for `contextId` in the current send epoch. */
  sendKid(contextId = 0n): bigint {
    const entry = this.requireSendEpoch();
    return composeKid(entry.layout, { contextId, senderIndex: this.ownLeafIndex, epoch: entry.epoch });
  }

  async protect(plaintext: Uint8Array, metadata?: Uint8Array, contextId = 0n): Promise<Uint8Array> {
    return this.sframe.protect(this.ensureSendKey(contextId), plaintext, metadata);
  }

  protectSync(plaintext: Uint8Array, metadata?: Uint8Array, contextId = 0n): Uint8Array {
    return this.sframe.protectSync(this.ensureSendKey(contextId), plaintext, metadata);
  }

  async unprotect(ciphertext: Uint8Array, metadata?: Uint8Array): Promise<MlsUnprotectResult> {
    return this.describe(await this.sframe.unprotect(ciphertext, metadata));
  }

  unprotectSync(ciphertext: Uint8Array, metadata?: Uint8Array): MlsUnprotectResult {
    return this.describe(this.sframe.unprotectSync(ciphertext, metadata));
  }

  private ensureSendKey(contextId: bigint): bigint {
    const entry = this.requireSendEpoch();
    const kid = this.sendKid(contextId);
    if (!this.sendKids.has(kid)) {
      this.sframe.setSendKey(kid, entry.baseKey);
      this.sendKids.add(kid);
    }
    return kid;
  }

  private dropSendKeys(): void {
    for (const kid of this.sendKids) this.sframe.removeSendKey(kid);
    this.sendKids.clear();
  }

  private forgetEpoch(low: bigint): void {
    const entry = this.epochs.get(low);
    if (!entry) return;
    if (entry === this.sendEpoch) {
      this.dropSendKeys();
      this.sendEpoch = undefined;
    }
    entry.baseKey.fill(0);
    this.epochs.delete(low);
    this.sframe.dropReceiveKeys((tag) => tag === low);
  }

  private requireSendEpoch(): InstalledEpoch {
    if (!this.sendEpoch) throw new SFrameError('no-send-key', 'no epoch has been selected for sending');
    return this.sendEpoch;
  }

  private resolve(kid: bigint): ResolvedKey | undefined {
    const low = epochLow(kid, this.epochBits);
    const entry = this.epochs.get(low);
    if (!entry) return undefined;
    const { now, retiredKeyTtlMs } = this.sframe.retention;
    if (entry.retiredAt !== undefined && now() - entry.retiredAt >= retiredKeyTtlMs) {
      // Past its retention window. If we still send on it (not every member acknowledged the new
      // epoch yet), peers may too, so keep it; otherwise its secret is gone for good.
      if (entry === this.sendEpoch) return { baseKey: entry.baseKey, tag: low };
      this.forgetEpoch(low);
      return undefined;
    }
    return { baseKey: entry.baseKey, tag: low, retiredAt: entry.retiredAt };
  }

  private describe(result: UnprotectResult): MlsUnprotectResult {
    const entry = this.epochs.get(epochLow(result.kid, this.epochBits));
    if (!entry)
      throw new SFrameError('unknown-kid', `the epoch of KID ${result.kid} was removed while decrypting`);
    const fields = parseKid(entry.layout, result.kid);
    return { ...result, epoch: entry.epoch, senderIndex: fields.senderIndex, contextId: fields.contextId };
  }
}
