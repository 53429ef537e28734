// The SFrame state of one pipeline (what the SFrame worker runs; plain TypeScript so it is also
// unit-tested in Node): an sframe-mls context fed with the bridge's per-epoch key material, and the
// SFrame metadata of every object — the MoQ object identity (full track name under the broadcast's
// media namespace, group, object), byte for byte what the Node core puts on the wire.
import type { MediaKeyMaterial, MediaSendEpoch, MediaTrack } from '../../../common/bridge/index.js';
import { constantTimeEqual } from '../../../common/codec/bytes.js';
import { fullTrackName } from '../../../common/codec/track-name.js';
import type { AeadBackend } from '../../../common/sframe/backends/types.js';
import { SFrameError } from '../../../common/sframe/errors.js';
import {
  SFRAME_EXPORTER_LABEL,
  SFrameMlsContext,
  type MlsExporter,
} from '../../../common/sframe/mls-profile.js';
import { ObjectMetadataEncoder } from '../../../common/sframe/object-metadata.js';

export interface ProtectResult {
  readonly ciphertext: Uint8Array;
  readonly epoch: number;
}

export interface UnprotectResult {
  readonly plaintext: Uint8Array;
  readonly epoch: number;
  readonly senderIndex: number;
}

/** Only this epoch's sframe-mls base key, and only for the exact exporter call the profile makes. */
function exporterFor(baseKey: Uint8Array): MlsExporter {
  return (label, context, length) => {
    if (label !== SFRAME_EXPORTER_LABEL || context.length !== 0 || length !== baseKey.length) {
      throw new SFrameError('invalid-argument', `no exporter output for "${label}" (${length} bytes)`);
    }
    return baseKey;
  };
}

export class MediaCrypto {
  private context: SFrameMlsContext | undefined;
  private leaf: number | undefined;
  /** Base keys of the installed epochs, to recognise a replayed epoch (the key relay re-sends them). */
  private readonly installed = new Map<number, Uint8Array>();
  private readonly metadata: Record<MediaTrack, ObjectMetadataEncoder>;

  constructor(
    namespace: readonly string[],
    private readonly backend: AeadBackend,
  ) {
    const encoder = (track: MediaTrack) => new ObjectMetadataEncoder(fullTrackName(namespace, track));
    this.metadata = { catalog: encoder('catalog'), video: encoder('video'), audio: encoder('audio') };
  }

  /** Installs an epoch for decryption at once; sending switches only on `useSendEpoch`. */
  async installKeys(material: MediaKeyMaterial): Promise<void> {
    checkEpoch(material.epoch);
    const known = this.installed.get(material.epoch);
    if (known && constantTimeEqual(known, material.baseKey)) return;
    // A new leaf (a rejoin) or a different key for a known epoch (a new group after recovery): the
    // old context's keys and counters belong to another membership, so start over.
    if (!this.context || this.leaf !== material.ownLeafIndex || known) {
      this.context = new SFrameMlsContext({ backend: this.backend, ownLeafIndex: material.ownLeafIndex });
      this.leaf = material.ownLeafIndex;
      this.installed.clear();
    }
    const baseKey = material.baseKey.slice();
    await this.context.installEpoch({
      epoch: BigInt(material.epoch),
      leafCount: material.leafCount,
      exporter: exporterFor(baseKey),
    });
    this.installed.set(material.epoch, baseKey);
    const live = new Set(this.context.installedEpochs().map(Number));
    for (const epoch of this.installed.keys()) if (!live.has(epoch)) this.installed.delete(epoch);
  }

  useSendEpoch(send: MediaSendEpoch): void {
    checkEpoch(send.epoch);
    if (!this.context) throw new SFrameError('unknown-kid', `epoch ${send.epoch} is not installed`);
    this.context.useEpochForSending(BigInt(send.epoch), send.ownLeafIndex);
  }

  get sendEpoch(): number | null {
    const epoch = this.context?.currentSendEpoch;
    return epoch === undefined ? null : Number(epoch);
  }

  /** Throws SFrameError('no-send-key') until a send epoch is chosen. */
  async protect(
    track: MediaTrack,
    group: number,
    object: number,
    plaintext: Uint8Array,
  ): Promise<ProtectResult> {
    const context = this.context;
    const epoch = context?.currentSendEpoch;
    if (!context || epoch === undefined) throw new SFrameError('no-send-key', 'no send epoch yet');
    const ciphertext = await context.protect(plaintext, this.objectMetadata(track, group, object));
    return { ciphertext, epoch: Number(epoch) };
  }

  /** Throws SFrameError for anything that does not authenticate under an installed epoch. */
  async unprotect(
    track: MediaTrack,
    group: number,
    object: number,
    ciphertext: Uint8Array,
  ): Promise<UnprotectResult> {
    if (!this.context) throw new SFrameError('unknown-kid', 'no keys installed yet');
    const result = await this.context.unprotect(ciphertext, this.objectMetadata(track, group, object));
    return { plaintext: result.plaintext, epoch: Number(result.epoch), senderIndex: result.senderIndex };
  }

  private objectMetadata(track: MediaTrack, group: number, object: number): Uint8Array {
    const encoder = this.metadata[track];
    if (!encoder) throw new SFrameError('invalid-argument', 'unknown media track');
    if (!Number.isSafeInteger(group) || group < 0 || !Number.isSafeInteger(object) || object < 0)
      throw new SFrameError('invalid-argument', 'group and object must be safe integers ≥ 0');
    return encoder.encode(BigInt(group), BigInt(object));
  }
}

function checkEpoch(epoch: number): void {
  if (!Number.isSafeInteger(epoch) || epoch < 0) throw new SFrameError('invalid-argument', 'invalid epoch');
}
