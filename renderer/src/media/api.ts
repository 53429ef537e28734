// The renderer's media pipeline as the views use it: capture, a producer (encode → LOC → SFrame →
// media channel) and a viewer (media channel → SFrame → LOC → decode → canvas/audio), each fed the
// per-epoch keys the bridge announces. Implementations live beside this file.
import type { MediaChannel, MediaKeyMaterial, MediaSendEpoch } from '../../../common/bridge/index.js';

export type VideoCodecName = 'vp8' | 'h264' | 'av1';
export type CaptureSource = 'camera' | 'screen';

export interface EncoderSettings {
  readonly codec: VideoCodecName;
  readonly width: number;
  readonly height: number;
  readonly frameRate: number;
  /** Video bits per second. */
  readonly bitrate: number;
  /** Also capture, encode (Opus) and send audio. */
  readonly audio: boolean;
}

export interface MediaStats {
  readonly fps: number;
  readonly bitrateKbps: number;
  /** Capture-to-display latency of the last decoded frame (capture timestamp travels encrypted). */
  readonly latencyMs: number | null;
  readonly frames: number;
  readonly dropped: number;
  /** Frames whose SFrame check failed (no key for the epoch, removed, tampered). */
  readonly undecryptable: number;
  /** Epoch whose key encrypts (producer) or last decrypted (viewer). */
  readonly epoch: number | null;
}

/** Takes the key events of the bridge (`mediaKeys`, `mediaSendEpoch`). */
export interface KeySink {
  installKeys(material: MediaKeyMaterial): void;
  useSendEpoch(epoch: MediaSendEpoch): void;
}

export interface ProducerPipeline extends KeySink {
  readonly preview: MediaStream;
  /** Starts a new group with a keyframe on the next frame (e.g. when a viewer joins). */
  requestKeyframe(): void;
  stats(): MediaStats;
  stop(): void;
}

export interface ViewerPipeline extends KeySink {
  stats(): MediaStats;
  stop(): void;
}

export interface ProducerOptions {
  readonly stream: MediaStream;
  readonly settings: EncoderSettings;
  readonly channel: MediaChannel;
  /** SessionStatus.mediaNamespace: with the track name, the SFrame metadata of every object. */
  readonly namespace: readonly string[];
}

export interface ViewerOptions {
  readonly canvas: HTMLCanvasElement;
  readonly channel: MediaChannel;
  readonly namespace: readonly string[];
  /** Play the broadcast's audio (false in tests and when muted). */
  readonly audio: boolean;
}
