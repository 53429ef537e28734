// The producer's audio encoder: microphone AudioData → Opus (AudioEncoder), configured from the first
// buffer's sample rate and channel count. Chunk timestamps are mapped to wall-clock capture time
// (µs since the Unix epoch) by the offset observed when each buffer arrived.
import { wallClockUs } from './rate-meter.js';
import { readAudioData, type TrackReader } from './track-reader.js';

export const AUDIO_BITRATE = 64_000;
const MAX_ENCODE_QUEUE = 20;

export interface AudioFormat {
  readonly codec: 'opus';
  readonly sampleRate: number;
  readonly numberOfChannels: number;
  readonly bitrate: number;
}

export interface EncodedAudio {
  readonly chunk: EncodedAudioChunk;
  /** Wall-clock capture time of the chunk in µs. */
  readonly captureUs: number;
  readonly description: Uint8Array | undefined;
}

export interface AudioEncoderEvents {
  onFormat(format: AudioFormat): void;
  onChunk(encoded: EncodedAudio): void;
  onSkipped(): void;
  onError(error: Error): void;
}

export class AudioEncodeLoop {
  private encoder: AudioEncoder | undefined;
  private format: AudioFormat | undefined;
  private offsetUs = 0;
  private description: Uint8Array | undefined;
  private failed = false;
  private readonly reader: TrackReader;

  constructor(
    track: MediaStreamTrack,
    private readonly events: AudioEncoderEvents,
  ) {
    this.reader = readAudioData(track, (data) => this.encode(data));
  }

  stop(): void {
    this.reader.stop();
    if (this.encoder && this.encoder.state !== 'closed') this.encoder.close();
    this.encoder = undefined;
  }

  private encode(data: AudioData): void {
    try {
      if (this.failed) return;
      const encoder = this.encoderFor(data);
      if (encoder.encodeQueueSize > MAX_ENCODE_QUEUE) {
        this.events.onSkipped();
        return;
      }
      this.offsetUs = wallClockUs() - data.timestamp;
      encoder.encode(data);
    } catch (error) {
      this.fail(error);
    } finally {
      data.close();
    }
  }

  private encoderFor(data: AudioData): AudioEncoder {
    if (
      this.encoder &&
      this.format?.sampleRate === data.sampleRate &&
      this.format.numberOfChannels === data.numberOfChannels
    )
      return this.encoder;
    if (this.encoder && this.encoder.state !== 'closed') this.encoder.close();
    const format: AudioFormat = {
      codec: 'opus',
      sampleRate: data.sampleRate,
      numberOfChannels: data.numberOfChannels,
      bitrate: AUDIO_BITRATE,
    };
    const encoder = new AudioEncoder({
      output: (chunk, metadata) => {
        if (this.encoder !== encoder) return;
        const description = metadata?.decoderConfig?.description;
        if (description) this.description = copyBuffer(description);
        const captureUs = Math.max(0, Math.round(chunk.timestamp + this.offsetUs));
        this.events.onChunk({ chunk, captureUs, description: this.description });
      },
      error: (error) => {
        if (this.encoder === encoder) this.fail(error);
      },
    });
    encoder.configure(format);
    this.encoder = encoder;
    this.format = format;
    this.description = undefined;
    this.events.onFormat(format);
    return encoder;
  }

  private fail(error: unknown): void {
    // Audio is secondary: stop it for this pipeline instead of retrying, video carries on.
    this.failed = true;
    if (this.encoder && this.encoder.state !== 'closed') this.encoder.close();
    this.encoder = undefined;
    this.events.onError(error instanceof Error ? error : new Error(String(error)));
  }
}

export function copyBuffer(source: AllowSharedBufferSource): Uint8Array {
  const view = ArrayBuffer.isView(source)
    ? new Uint8Array(source.buffer, source.byteOffset, source.byteLength)
    : new Uint8Array(source);
  return view.slice();
}
