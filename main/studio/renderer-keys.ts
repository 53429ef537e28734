// Media keys for a renderer: each MLS epoch the group reaches becomes sframe-mls key material
// (the epoch's exporter output, not the MLS state) announced to the renderer's SFrame worker at once
// for decryption, and named for encryption when the EpochKeyScheduler switches (acks or timeout;
// immediately on a removal). The renderer never sees MLS secrets beyond these per-epoch media keys.
import type { MediaKeyMaterial, MediaSendEpoch } from '../../common/bridge/index.js';
import {
  DEFAULT_CIPHER_SUITE,
  DEFAULT_EPOCH_BITS,
  SFRAME_EXPORTER_LABEL,
  decodeHeader,
} from '../../common/sframe/index.js';
import type { MlsExporter } from '../../common/sframe/index.js';
import { EpochKeyScheduler, newEpochFromState } from '../mls/epoch-keys.js';
import type { EpochKeyTarget } from '../mls/epoch-keys.js';
import { leafIndexOf } from '../mls/index.js';
import type { ClientState, MlsEnv } from '../mls/index.js';

export interface RendererKeySink {
  install(material: MediaKeyMaterial): void;
  useForSending(epoch: MediaSendEpoch): void;
}

/** Matches the sframe-mls context's retention (2^E epochs with E = 4). */
const REPLAYED_EPOCHS = 1 << DEFAULT_EPOCH_BITS;
const EPOCH_LOW_MASK = (1n << BigInt(DEFAULT_EPOCH_BITS)) - 1n;

class RendererKeyTarget implements EpochKeyTarget {
  readonly installed: MediaKeyMaterial[] = [];
  sending: MediaSendEpoch | undefined;

  constructor(
    readonly ownLeafIndex: number,
    private readonly sink: RendererKeySink,
  ) {}

  async installEpoch(epoch: bigint, exporter: MlsExporter, leafCount: number): Promise<void> {
    const baseKey = await exporter(SFRAME_EXPORTER_LABEL, new Uint8Array(0), DEFAULT_CIPHER_SUITE.nk);
    const material: MediaKeyMaterial = {
      epoch: Number(epoch),
      baseKey,
      leafCount,
      ownLeafIndex: this.ownLeafIndex,
    };
    this.installed.push(material);
    if (this.installed.length > REPLAYED_EPOCHS) this.installed.shift();
    this.sink.install(material);
  }

  useEpochForSending(epoch: bigint, ownLeafIndex: number): void {
    this.sending = { epoch: Number(epoch), ownLeafIndex };
    this.sink.useForSending(this.sending);
  }
}

export class RendererKeys {
  private target: RendererKeyTarget | undefined;
  private scheduler: EpochKeyScheduler | undefined;
  private latestEpoch: bigint | undefined;
  /** Why sending switched epochs, over this member's whole session. */
  readonly switches = { acked: 0, timedOut: 0 };

  constructor(
    private readonly env: MlsEnv,
    private readonly sink: RendererKeySink,
    private readonly onError: (error: unknown) => void,
    /** The epoch's keys are installed: this member acks it to the others now. */
    private readonly onReadyToAck: (epoch: bigint) => void = () => {},
  ) {}

  /** Feed every epoch the group reaches (the 'epoch' event's state). */
  onEpoch(state: ClientState): Promise<void> {
    const epoch = newEpochFromState(this.env, state);
    // A resumed member (after a reconnect) reports the epoch it already had: nothing new to install.
    if (this.latestEpoch !== undefined && epoch.epoch <= this.latestEpoch) return Promise.resolve();
    this.latestEpoch = epoch.epoch;
    const leaf = leafIndexOf(state);
    // A rejoin gives us a new leaf: keys announced for the old one must not be sent under again.
    if (!this.target || this.target.ownLeafIndex !== leaf) {
      this.scheduler?.dispose();
      this.target = new RendererKeyTarget(leaf, this.sink);
      this.scheduler = new EpochKeyScheduler({
        targets: [this.target],
        onError: this.onError,
        onReadyToAck: this.onReadyToAck,
        onSwitched: (_epoch, reason) => {
          if (reason === 'all-acked') this.switches.acked++;
          if (reason === 'timeout') this.switches.timedOut++;
        },
      });
    }
    return this.scheduler!.onNewEpoch(epoch);
  }

  /** Another member installed `epoch` (a verified ack): sending may switch once all have. */
  acknowledge(epoch: bigint, leafIndex: number): void {
    this.scheduler?.acknowledge(epoch, leafIndex);
  }

  /**
   * Whether a protected frame is under an epoch this member was given keys for (by its KID's low
   * epoch bits). Frames from before it joined are not: the viewer's core holds those back instead of
   * handing the renderer frames it can only count as undecryptable.
   */
  hasKeyFor(payload: Uint8Array): boolean {
    if (!this.target) return false;
    let kid: bigint;
    try {
      kid = decodeHeader(payload).kid;
    } catch {
      return true; // malformed: let the renderer's SFrame check reject and count it
    }
    const low = kid & EPOCH_LOW_MASK;
    return this.target.installed.some((m) => (BigInt(m.epoch) & EPOCH_LOW_MASK) === low);
  }

  /** Announces the current keys again (a reloaded renderer starts with none). */
  replay(): void {
    if (!this.target) return;
    for (const material of this.target.installed) this.sink.install(material);
    if (this.target.sending) this.sink.useForSending(this.target.sending);
  }

  dispose(): void {
    this.scheduler?.dispose();
    this.scheduler = undefined;
    this.target = undefined;
    this.latestEpoch = undefined;
  }
}
