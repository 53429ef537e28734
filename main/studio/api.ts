// The Node core of the studio as its two hosts see it: Electron's IPC (main/app) and browser mode's
// WebSocket server (`moq-studio serve`). One StudioCore per studio user: it owns that user's data
// directory (identity, SQLite), its MoQT session and security group, and moves SFrame ciphertext
// between the renderer and the relay. Nothing here imports 'electron'.
import type { BridgeEvent, CommandHandlers, MediaFrame } from '../../common/bridge/index.js';
import type { SecretBox } from '../store/secret-box.js';

/** Relay and coordinator to use when the settings say "embedded services". */
export interface EmbeddedServices {
  readonly relayUrl: string;
  readonly coordinatorUrl: string;
  /** PEM CA bundle, when the services' certificates are not pinned by fingerprint in the URLs. */
  readonly caPem?: string;
}

export interface StudioCoreOptions {
  /** Holds settings.json, member.db and the key file of this studio user. */
  readonly dataDir: string;
  readonly appVersion: string;
  /** `process.versions`; `electron` is absent outside Electron. */
  readonly versions: Readonly<Partial<Record<string, string>>>;
  /** Present when this process runs the embedded relay + coordinator (npm start, serve). */
  readonly embedded?: EmbeddedServices;
  /** Seals secrets at rest; defaults to a 0600 key file in dataDir (the app passes safeStorage). */
  readonly secretBox?: SecretBox;
  /**
   * How often a producer commits a fresh UpdatePath of its own leaf (post-compromise security: a
   * leaked epoch secret stops being useful at the next update). Default 10 minutes; 0 turns it off.
   */
  readonly selfUpdateIntervalMs?: number;
}

export interface StudioCore {
  /** Bridge command implementations (arguments are validated by the host before they arrive). */
  readonly handlers: CommandHandlers;
  /** Events for the renderer; returns the unsubscribe function. */
  onEvent(listener: (event: BridgeEvent) => void): () => void;
  /** A protected frame from the renderer (producer side). Bad frames are dropped and counted. */
  sendMedia(frame: MediaFrame): void;
  /** Protected frames from the broadcast for the renderer (viewer side). */
  onMedia(listener: (frame: MediaFrame) => void): () => void;
  /** Leaves nothing running: closes the MoQT session, the group and the database. */
  close(): Promise<void>;
}
