// The viewer pipeline: media channel → SFrame in the worker → catalog / LOC → decoders → canvas and
// WebAudio. Everything arriving on the channel is treated as hostile: frames of the wrong shape are
// dropped, frames that fail SFrame (no key for the epoch, removed member, tampering) are counted as
// undecryptable, and neither a bad catalog nor a bad LOC frame can stop the pipeline.
import {
  MAX_MEDIA_PAYLOAD,
  MEDIA_TRACKS,
  type MediaFrame,
  type MediaTrack,
} from '../../../common/bridge/index.js';
import {
  catalogNamespace,
  parseCatalog,
  type AudioTrackEntry,
  type Catalog,
  type CatalogTrack,
  type VideoTrackEntry,
} from '../../../common/media/catalog.js';
import { decodeLocFrame } from '../../../common/media/loc.js';
import type { MediaStats, ViewerOptions, ViewerPipeline } from './api.js';
import { AudioSink } from './audio-sink.js';
import { RateMeter } from './rate-meter.js';
import { SFrameFailure, SFrameWorkerClient } from './sframe-client.js';
import { VideoSink } from './video-sink.js';

/** Objects waiting for the worker beyond this: decryption cannot keep up, shed load. */
const MAX_CRYPTO_BACKLOG = 120;

export async function startViewer(options: ViewerOptions): Promise<ViewerPipeline> {
  if (typeof VideoDecoder === 'undefined') throw new Error('WebCodecs is not available');
  return new Viewer(options);
}

function isValidFrame(frame: MediaFrame): boolean {
  return (
    typeof frame === 'object' &&
    frame !== null &&
    MEDIA_TRACKS.includes(frame.track) &&
    Number.isSafeInteger(frame.group) &&
    frame.group >= 0 &&
    Number.isSafeInteger(frame.object) &&
    frame.object >= 0 &&
    frame.payload instanceof Uint8Array &&
    frame.payload.length > 0 &&
    frame.payload.length <= MAX_MEDIA_PAYLOAD
  );
}

class Viewer implements ViewerPipeline {
  private readonly crypto: SFrameWorkerClient;
  private readonly video: VideoSink;
  private readonly audio: AudioSink | undefined;
  private readonly unsubscribe: () => void;
  private inbox: Promise<void> = Promise.resolve();
  private catalogGroup = -1;
  private readonly shownRate = new RateMeter();
  private readonly byteRate = new RateMeter();
  private frames = 0;
  private dropped = 0;
  private undecryptable = 0;
  private latencyMs: number | null = null;
  private epoch: number | null = null;
  private stopped = false;

  constructor(private readonly options: ViewerOptions) {
    this.crypto = new SFrameWorkerClient(options.namespace);
    this.video = new VideoSink(options.canvas, {
      onShown: (latencyMs) => {
        this.frames++;
        this.shownRate.record(0);
        this.latencyMs = latencyMs;
      },
      onDropped: () => this.dropped++,
    });
    this.audio = options.audio ? new AudioSink(() => this.dropped++) : undefined;
    this.unsubscribe = options.channel.onFrame((frame) => this.receive(frame));
  }

  installKeys(material: Parameters<ViewerPipeline['installKeys']>[0]): void {
    this.crypto
      .installKeys(material)
      .catch((error: unknown) => console.warn('media keys not installed', error));
  }

  /** Viewers do not send; the worker still records the epoch so its state matches the group's. */
  useSendEpoch(send: Parameters<ViewerPipeline['useSendEpoch']>[0]): void {
    this.crypto.useSendEpoch(send).catch(() => {});
  }

  stats(): MediaStats {
    return {
      fps: this.shownRate.rate(),
      bitrateKbps: this.byteRate.kbps(),
      latencyMs: this.latencyMs,
      frames: this.frames,
      dropped: this.dropped,
      undecryptable: this.undecryptable,
      epoch: this.epoch,
    };
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.unsubscribe();
    this.crypto.terminate();
    this.video.close();
    this.audio?.close();
  }

  private receive(frame: MediaFrame): void {
    if (this.stopped) return;
    if (!isValidFrame(frame)) {
      this.dropped++;
      return;
    }
    if (frame.track === 'audio' && !this.audio) return;
    this.byteRate.record(frame.payload.length);
    if (this.crypto.backlog > MAX_CRYPTO_BACKLOG) {
      // The video sink sees the object gap and waits for the next keyframe.
      this.dropped++;
      return;
    }
    const { track, group, object } = frame;
    // A copy: the payload may be a view into a buffer the channel still owns, and it is transferred.
    const pending = this.crypto.unprotect(track, group, object, frame.payload.slice().buffer);
    this.inbox = this.inbox.then(async () => {
      try {
        const result = await pending;
        if (this.stopped) return;
        this.epoch = result.epoch;
        this.deliver(track, group, object, result.data);
      } catch (error) {
        if (error instanceof SFrameFailure && error.code === 'terminated') return;
        if (error instanceof SFrameFailure) this.undecryptable++;
        else this.dropped++;
      }
    });
  }

  private deliver(track: MediaTrack, group: number, object: number, plaintext: Uint8Array): void {
    try {
      if (track === 'catalog') this.applyCatalog(group, object, plaintext);
      else if (track === 'video') this.video.push(group, object, decodeLocFrame(plaintext, 'video'));
      else this.audio?.push(decodeLocFrame(plaintext, 'audio'));
    } catch {
      // Authentic but malformed (a producer bug, not an attack on the keys): skip the object.
      this.dropped++;
    }
  }

  private applyCatalog(group: number, object: number, plaintext: Uint8Array): void {
    // Every catalog is independent at object 0 of its group; older groups are stale.
    if (object !== 0 || group < this.catalogGroup) return;
    const catalog = parseCatalog(plaintext);
    this.catalogGroup = group;
    this.video.setTrack(this.pick(catalog, 'video') as VideoTrackEntry | undefined);
    this.audio?.setTrack(this.pick(catalog, 'audio') as AudioTrackEntry | undefined);
  }

  /** The broadcast's track with this role, under our namespace (or the catalog's, when omitted). */
  private pick(catalog: Catalog, role: CatalogTrack['role']): CatalogTrack | undefined {
    const namespace = catalogNamespace(this.options.namespace);
    return catalog.tracks.find(
      (track) =>
        track.role === role &&
        track.name === role &&
        (track.namespace === undefined || track.namespace === namespace),
    );
  }
}
