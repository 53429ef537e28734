// The producer pipeline: encoded video/audio chunks → LOC frames (one per object, a new MoQ group at
// each video keyframe) → SFrame in the worker → the media channel; plus the MSF catalog on the
// `catalog` track (a new group per publication, object 0), protected the same way. Until the bridge
// names a send epoch the worker has no key: those frames are dropped and counted, and the first
// frames under a new send epoch are a fresh catalog and a keyframe, so members who joined with that
// epoch see the picture at once.
import type { MediaFrame, MediaTrack } from '../../../common/bridge/index.js';
import { buildCatalog, encodeCatalog, type CatalogInput } from '../../../common/media/catalog.js';
import { GroupSequencer, encodeLocFrame, type LocFrame } from '../../../common/media/loc.js';
import type { MediaStats, ProducerOptions, ProducerPipeline, VideoCodecName } from './api.js';
import { AudioEncodeLoop, copyBuffer, type AudioFormat } from './audio-encoder.js';
import { RateMeter, wallClockUs } from './rate-meter.js';
import { SFrameFailure, SFrameWorkerClient } from './sframe-client.js';
import { ownBuffer } from './sframe-protocol.js';
import { hasTrackProcessor } from './track-reader.js';
import { KEYFRAME_INTERVAL_US, VideoEncodeLoop } from './video-encoder.js';

/** Opus frames are 20 ms: a new audio group about every second keeps groups small for late joiners. */
const AUDIO_FRAMES_PER_GROUP = 50;
/** Republish an unchanged catalog this often, so it never ages out of relay caches. */
const CATALOG_REFRESH_MS = 5000;
/** Frames waiting for the worker beyond this mean encryption cannot keep up: shed load. */
const MAX_CRYPTO_BACKLOG = 90;
const VIDEO_CODECS: readonly VideoCodecName[] = ['vp8', 'h264', 'av1'];

export async function startProducer(options: ProducerOptions): Promise<ProducerPipeline> {
  const { settings, stream } = options;
  if (!VIDEO_CODECS.includes(settings.codec))
    throw new RangeError(`unknown video codec ${String(settings.codec)}`);
  for (const [name, value] of Object.entries({
    width: settings.width,
    height: settings.height,
    frameRate: settings.frameRate,
    bitrate: settings.bitrate,
  })) {
    if (!Number.isFinite(value) || value <= 0) throw new RangeError(`encoder ${name} must be positive`);
  }
  const video = stream.getVideoTracks()[0];
  if (!video) throw new Error('the captured stream has no video track');
  const audio = settings.audio ? stream.getAudioTracks()[0] : undefined;
  if (settings.audio && !audio) throw new Error('audio is on but the captured stream has no audio track');
  if (audio && !hasTrackProcessor()) throw new Error('audio capture needs MediaStreamTrackProcessor');
  if (typeof VideoEncoder === 'undefined') throw new Error('WebCodecs is not available');
  return new Producer(options, video, audio);
}

class Producer implements ProducerPipeline {
  readonly preview: MediaStream;
  private readonly crypto: SFrameWorkerClient;
  private readonly video: VideoEncodeLoop;
  private readonly audio: AudioEncodeLoop | undefined;
  // Groups start at the wall clock (ms): a restarted producer never reuses a group ID (MSF §7.1).
  private readonly videoGroups = new GroupSequencer(Date.now());
  private readonly audioGroups = new GroupSequencer(Date.now());
  private catalogGroup = Date.now();
  private catalogSentAt = -Infinity;
  private catalogDirty = true;
  private videoCodec: string | undefined;
  private videoDescription: Uint8Array | undefined;
  private audioFormat: AudioFormat | undefined;
  /** Set after a drop inside a GOP: later delta frames are useless until the next keyframe. */
  private awaitingKeyframe = false;
  private outbox: Promise<void> = Promise.resolve();
  private readonly videoRate = new RateMeter();
  private readonly byteRate = new RateMeter();
  private frames = 0;
  private dropped = 0;
  private latencyMs: number | null = null;
  private epoch: number | null = null;
  private stopped = false;

  constructor(
    private readonly options: ProducerOptions,
    videoTrack: MediaStreamTrack,
    audioTrack: MediaStreamTrack | undefined,
  ) {
    this.preview = options.stream;
    this.crypto = new SFrameWorkerClient(options.namespace);
    this.video = new VideoEncodeLoop(videoTrack, options.settings, {
      onChunk: ({ chunk, decoderConfig }) => this.onVideoChunk(chunk, decoderConfig),
      onSkipped: () => this.dropped++,
      onError: (error) => {
        this.dropped++;
        console.warn('video encoder error; restarting it', error);
      },
    });
    this.audio = audioTrack
      ? new AudioEncodeLoop(audioTrack, {
          onFormat: (format) => {
            this.audioFormat = format;
            this.catalogDirty = true;
          },
          onChunk: ({ chunk, captureUs, description }) => this.onAudioChunk(chunk, captureUs, description),
          onSkipped: () => this.dropped++,
          onError: (error) => console.warn('audio encoder failed; continuing without audio', error),
        })
      : undefined;
  }

  installKeys(material: Parameters<ProducerPipeline['installKeys']>[0]): void {
    this.crypto
      .installKeys(material)
      .catch((error: unknown) => console.warn('media keys not installed', error));
  }

  useSendEpoch(send: Parameters<ProducerPipeline['useSendEpoch']>[0]): void {
    this.crypto.useSendEpoch(send).then(
      () => {
        this.epoch = send.epoch;
        // Members admitted in this epoch hold only its key: give them a catalog and a keyframe now.
        this.catalogDirty = true;
        this.video.requestKeyframe();
      },
      (error: unknown) => console.warn(`cannot send with epoch ${send.epoch}`, error),
    );
  }

  /** Asks the encoder for a keyframe (a new group) on the next frame. */
  requestKeyframe(): void {
    this.video.requestKeyframe();
  }

  stats(): MediaStats {
    return {
      fps: this.videoRate.rate(),
      bitrateKbps: this.byteRate.kbps(),
      latencyMs: this.latencyMs,
      frames: this.frames,
      dropped: this.dropped,
      undecryptable: 0,
      epoch: this.epoch,
    };
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.video.stop();
    this.audio?.stop();
    this.crypto.terminate();
  }

  private onVideoChunk(chunk: EncodedVideoChunk, decoderConfig: VideoDecoderConfig | undefined): void {
    if (this.stopped) return;
    try {
      this.packVideo(chunk, decoderConfig);
    } catch (error) {
      // An oversized chunk or a codec string the catalog refuses: skip to the next keyframe.
      this.dropped++;
      this.awaitingKeyframe = true;
      this.video.requestKeyframe();
      console.warn('video chunk not sent', error);
    }
  }

  private packVideo(chunk: EncodedVideoChunk, decoderConfig: VideoDecoderConfig | undefined): void {
    if (decoderConfig) {
      const description = decoderConfig.description ? copyBuffer(decoderConfig.description) : undefined;
      if (decoderConfig.codec !== this.videoCodec) this.catalogDirty = true;
      this.videoCodec = decoderConfig.codec;
      this.videoDescription = description;
    }
    const keyframe = chunk.type === 'key';
    if (!keyframe && this.awaitingKeyframe) {
      this.dropped++;
      return;
    }
    if (this.crypto.backlog > MAX_CRYPTO_BACKLOG) {
      this.dropped++;
      this.awaitingKeyframe = true;
      this.video.requestKeyframe();
      return;
    }
    this.awaitingKeyframe = false;
    if (keyframe) {
      try {
        this.maybePublishCatalog();
      } catch (error) {
        // Viewers keep the last good catalog; the video itself must not stop over this.
        console.warn('catalog not published', error);
      }
    }
    const payload = new Uint8Array(chunk.byteLength);
    chunk.copyTo(payload);
    const frame: LocFrame = {
      kind: 'video',
      timestampUs: chunk.timestamp,
      keyframe,
      config: keyframe ? this.videoDescription : undefined,
      payload,
    };
    // Encoded before the IDs are taken, so a frame that cannot be packed leaves no gap.
    const bytes = encodeLocFrame(frame);
    this.send('video', this.videoGroups.next(keyframe), bytes, chunk.timestamp);
  }

  private onAudioChunk(
    chunk: EncodedAudioChunk,
    captureUs: number,
    description: Uint8Array | undefined,
  ): void {
    if (this.stopped) return;
    if (this.crypto.backlog > MAX_CRYPTO_BACKLOG) {
      this.dropped++;
      return;
    }
    try {
      this.packAudio(chunk, captureUs, description);
    } catch (error) {
      this.dropped++;
      console.warn('audio chunk not sent', error);
    }
  }

  private packAudio(chunk: EncodedAudioChunk, captureUs: number, description: Uint8Array | undefined): void {
    const payload = new Uint8Array(chunk.byteLength);
    chunk.copyTo(payload);
    const inGroup = this.audioGroups.objectsInGroup;
    const startsGroup = inGroup >= AUDIO_FRAMES_PER_GROUP;
    const frame: LocFrame = {
      kind: 'audio',
      timestampUs: captureUs,
      keyframe: true,
      // Each audio group is independently decodable, so its first object carries the config.
      config: startsGroup || inGroup === 0 ? description : undefined,
      payload,
    };
    const bytes = encodeLocFrame(frame);
    this.send('audio', this.audioGroups.next(startsGroup), bytes, captureUs);
  }

  private maybePublishCatalog(): void {
    const now = Date.now();
    if (!this.catalogDirty && now - this.catalogSentAt < CATALOG_REFRESH_MS) return;
    const { width, height } = this.video.dimensions;
    const { settings } = this.options;
    const input: CatalogInput = {
      namespace: this.options.namespace,
      generatedAt: now,
      video: {
        name: 'video',
        codec: this.videoCodec ?? this.video.codec,
        width,
        height,
        framerate: settings.frameRate,
        bitrate: Math.round(settings.bitrate),
        maxGopDuration: KEYFRAME_INTERVAL_US / 1000,
        renderGroup: 1,
      },
      ...(this.audioFormat
        ? {
            audio: {
              name: 'audio',
              codec: this.audioFormat.codec,
              samplerate: this.audioFormat.sampleRate,
              channelConfig: String(this.audioFormat.numberOfChannels),
              bitrate: this.audioFormat.bitrate,
              renderGroup: 1,
            },
          }
        : {}),
    };
    const bytes = encodeCatalog(buildCatalog(input));
    this.catalogDirty = false;
    this.catalogSentAt = now;
    this.send('catalog', { group: this.catalogGroup++, object: 0 }, bytes, null);
  }

  /** Encrypts in the worker and sends in call order (the worker answers in request order). */
  private send(
    track: MediaTrack,
    ids: { group: number; object: number },
    plaintext: Uint8Array,
    captureUs: number | null,
  ): void {
    const pending = this.crypto.protect(track, ids.group, ids.object, ownBuffer(plaintext));
    this.outbox = this.outbox.then(async () => {
      let result;
      try {
        result = await pending;
      } catch (error) {
        if (error instanceof SFrameFailure && error.code === 'terminated') return;
        if (track === 'catalog') this.catalogDirty = true;
        else this.dropped++;
        if (!(error instanceof SFrameFailure && error.code === 'no-send-key'))
          console.warn('SFrame protect failed', error);
        return;
      }
      if (this.stopped) return;
      const frame: MediaFrame = { track, group: ids.group, object: ids.object, payload: result.data };
      try {
        this.options.channel.send(frame);
      } catch (error) {
        // A closed or failing channel must not break the chain that orders later frames.
        if (track !== 'catalog') this.dropped++;
        console.warn('media channel refused a frame', error);
        return;
      }
      this.epoch = result.epoch;
      this.byteRate.record(result.data.length);
      if (track === 'video') {
        this.frames++;
        this.videoRate.record(result.data.length);
        if (captureUs !== null) this.latencyMs = Math.max(0, (wallClockUs() - captureUs) / 1000);
      }
    });
  }
}
