// The producer's video encoder: captured frames → VideoEncoder, re-stamped with their wall-clock
// capture time (µs since the Unix epoch, which then travels encrypted in the LOC timestamp). Forces a
// keyframe every ~2 s and on request; the encoded size follows the source (screens change size),
// scaled down to the configured maximum; frames are skipped, not queued, when the encoder lags.
import type { EncoderSettings } from './api.js';
import { videoCodecString } from './codecs.js';
import { wallClockUs } from './rate-meter.js';
import { readVideoFrames, type TrackReader } from './track-reader.js';

export const KEYFRAME_INTERVAL_US = 2_000_000;
/** More frames than this waiting in the encoder means it cannot keep up: skip the new one. */
const MAX_ENCODE_QUEUE = 3;
/** After an encoder error, wait this long before building a new one (no tight failure loop). */
const RESTART_DELAY_US = 1_000_000;

export interface EncodedVideo {
  readonly chunk: EncodedVideoChunk;
  /** Present when the encoder (re)configured: the codec string and description viewers need. */
  readonly decoderConfig: VideoDecoderConfig | undefined;
}

export interface VideoEncoderEvents {
  onChunk(encoded: EncodedVideo): void;
  /** A captured frame was not encoded (encoder busy, failed, or not ready). */
  onSkipped(): void;
  onError(error: Error): void;
}

export function fitWithin(width: number, height: number, maxWidth: number, maxHeight: number) {
  const scale = Math.min(1, maxWidth / width, maxHeight / height);
  const even = (value: number) => Math.max(2, Math.round((value * scale) / 2) * 2);
  return { width: even(width), height: even(height) };
}

export class VideoEncodeLoop {
  private encoder: VideoEncoder | undefined;
  private size = { width: 0, height: 0 };
  private keyframeWanted = true;
  private lastKeyframeUs = 0;
  private lastTimestampUs = 0;
  private failedAtUs = -Infinity;
  private readonly reader: TrackReader;
  private stopped = false;

  constructor(
    track: MediaStreamTrack,
    private readonly settings: EncoderSettings,
    private readonly events: VideoEncoderEvents,
  ) {
    this.reader = readVideoFrames(track, settings.frameRate, (frame) => this.encode(frame));
  }

  /** The codec string for the current size (what the catalog announces until the encoder says more). */
  get codec(): string {
    return videoCodecString(this.settings.codec, this.size.width, this.size.height, this.settings.frameRate);
  }

  get dimensions(): { width: number; height: number } {
    return { ...this.size };
  }

  requestKeyframe(): void {
    this.keyframeWanted = true;
  }

  stop(): void {
    this.stopped = true;
    this.reader.stop();
    if (this.encoder && this.encoder.state !== 'closed') this.encoder.close();
    this.encoder = undefined;
  }

  private encode(frame: VideoFrame): void {
    try {
      if (this.stopped || frame.displayWidth === 0 || frame.displayHeight === 0) return;
      // Strictly increasing, so encoders never see a timestamp twice.
      const timestampUs = Math.max(wallClockUs(), this.lastTimestampUs + 1);
      const encoder = this.encoderFor(frame, timestampUs);
      if (!encoder || encoder.encodeQueueSize > MAX_ENCODE_QUEUE) {
        this.events.onSkipped();
        return;
      }
      const keyFrame = this.keyframeWanted || timestampUs - this.lastKeyframeUs >= KEYFRAME_INTERVAL_US;
      const stamped = new VideoFrame(frame, { timestamp: timestampUs });
      try {
        encoder.encode(stamped, { keyFrame });
      } finally {
        stamped.close();
      }
      this.lastTimestampUs = timestampUs;
      if (keyFrame) {
        this.keyframeWanted = false;
        this.lastKeyframeUs = timestampUs;
      }
    } catch (error) {
      this.fail(error);
    } finally {
      frame.close();
    }
  }

  private encoderFor(frame: VideoFrame, nowUs: number): VideoEncoder | undefined {
    const size = fitWithin(
      frame.displayWidth,
      frame.displayHeight,
      this.settings.width,
      this.settings.height,
    );
    const current = this.encoder;
    if (
      current &&
      current.state === 'configured' &&
      size.width === this.size.width &&
      size.height === this.size.height
    )
      return current;
    if (nowUs - this.failedAtUs < RESTART_DELAY_US) return undefined;
    if (current && current.state !== 'closed') current.close();
    this.size = size;
    const encoder = new VideoEncoder({
      output: (chunk, metadata) => {
        if (this.encoder === encoder) this.events.onChunk({ chunk, decoderConfig: metadata?.decoderConfig });
      },
      error: (error) => {
        if (this.encoder === encoder) this.fail(error);
      },
    });
    encoder.configure({
      codec: this.codec,
      width: size.width,
      height: size.height,
      framerate: this.settings.frameRate,
      bitrate: this.settings.bitrate,
      latencyMode: 'realtime',
      ...(this.settings.codec === 'h264' ? { avc: { format: 'avc' as const } } : {}),
    });
    this.encoder = encoder;
    this.keyframeWanted = true;
    return encoder;
  }

  private fail(error: unknown): void {
    this.failedAtUs = wallClockUs();
    if (this.encoder && this.encoder.state !== 'closed') this.encoder.close();
    this.encoder = undefined;
    this.events.onError(error instanceof Error ? error : new Error(String(error)));
  }
}
