// A member's media keys: each epoch the security group reaches is installed in an sframe-mls
// context at once (so frames of the new epoch decrypt immediately) and used for sending once the
// EpochKeyScheduler decides (acks or its timeout), keeping every frame decryptable across changes.
import { SFrameMlsContext } from '../../common/sframe/index.js';
import type { AeadBackend } from '../../common/sframe/index.js';
import { nodeCryptoBackend } from '../../common/sframe/backends/node-crypto.node.js';
import { EpochKeyScheduler, SFrameMlsTarget, newEpochFromState } from '../mls/epoch-keys.js';
import { leafIndexOf } from '../mls/index.js';
import type { ClientState, MlsEnv } from '../mls/index.js';

export class MediaKeys {
  private context: SFrameMlsContext | undefined;
  private scheduler: EpochKeyScheduler | undefined;
  private leaf: number | undefined;

  constructor(
    private readonly env: MlsEnv,
    private readonly backend: AeadBackend = nodeCryptoBackend,
    private readonly onError: (error: unknown) => void = () => {},
  ) {}

  /** Feed every epoch the group reaches (the 'epoch' event's state). */
  onEpoch(state: ClientState): Promise<void> {
    const leaf = leafIndexOf(state);
    // A rejoin gives us a new leaf: the old context's send keys are for a leaf we no longer hold.
    if (!this.context || leaf !== this.leaf) {
      this.scheduler?.dispose();
      this.leaf = leaf;
      this.context = new SFrameMlsContext({ backend: this.backend, ownLeafIndex: leaf });
      this.scheduler = new EpochKeyScheduler({
        targets: [new SFrameMlsTarget(this.context)],
        onError: this.onError,
      });
    }
    return this.scheduler!.onNewEpoch(newEpochFromState(this.env, state));
  }

  get sendEpoch(): bigint | undefined {
    return this.scheduler?.currentSendEpoch;
  }

  /** Encrypts one frame; throws SFrameError('no-send-key') before the first epoch. */
  protect(frame: Uint8Array, metadata: Uint8Array): Promise<Uint8Array> {
    if (!this.context) return Promise.reject(new Error('no media keys yet: not in the group'));
    return this.context.protect(frame, metadata);
  }

  async unprotect(ciphertext: Uint8Array, metadata: Uint8Array): Promise<Uint8Array> {
    if (!this.context) throw new Error('no media keys yet: not in the group');
    return (await this.context.unprotect(ciphertext, metadata)).plaintext;
  }

  dispose(): void {
    this.scheduler?.dispose();
  }
}
