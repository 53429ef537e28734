// The viewer's audio output: LOC audio frames → AudioDecoder (from the catalog's codec, sample rate
// and channels) → WebAudio buffers scheduled back to back. When the schedule runs too far ahead
// (a burst after a stall) it is cut back, trading a click for bounded latency.
import type { AudioTrackEntry } from '../../../common/media/catalog.js';
import type { LocFrame } from '../../../common/media/loc.js';

/** Start playback this far ahead of now, to absorb jitter between decoded buffers. */
const LEAD_SECONDS = 0.08;
/** Never queue more than this much audio ahead of the clock. */
const MAX_AHEAD_SECONDS = 0.5;
const MAX_DECODE_QUEUE = 50;
const MAX_CHANNELS = 8;

export class AudioSink {
  private readonly context: AudioContext;
  private decoder: AudioDecoder | undefined;
  private trackKey: string | undefined;
  private description: Uint8Array | undefined;
  private track: AudioTrackEntry | undefined;
  private playHead = 0;
  private closed = false;

  constructor(private readonly onDropped: () => void) {
    this.context = new AudioContext({ latencyHint: 'interactive' });
    // Autoplay policy: the viewer started from a click, so resuming is allowed; if not, it stays silent.
    void this.context.resume().catch(() => {});
  }

  setTrack(track: AudioTrackEntry | undefined): void {
    this.track = track;
  }

  push(frame: LocFrame): void {
    if (this.closed) return;
    const decoder = this.track && this.configure(this.track, frame.config);
    if (!decoder || decoder.state !== 'configured' || decoder.decodeQueueSize > MAX_DECODE_QUEUE) {
      this.onDropped();
      return;
    }
    try {
      decoder.decode(
        new EncodedAudioChunk({ type: 'key', timestamp: frame.timestampUs, data: frame.payload }),
      );
    } catch {
      this.resetDecoder();
      this.onDropped();
    }
  }

  close(): void {
    this.closed = true;
    this.resetDecoder();
    void this.context.close().catch(() => {});
  }

  private configure(track: AudioTrackEntry, description: Uint8Array | undefined): AudioDecoder | undefined {
    const channels = Number(track.channelConfig);
    if (!Number.isInteger(channels) || channels < 1 || channels > MAX_CHANNELS) return undefined;
    const trackKey = `${track.codec}|${track.samplerate}|${channels}`;
    // A description arrives only on a group's first object; the other objects use the current one.
    const sameTrack = trackKey === this.trackKey;
    const sameDescription =
      !description || (this.description !== undefined && equal(description, this.description));
    if (this.decoder?.state === 'configured' && sameTrack && sameDescription) return this.decoder;
    const effective = description ?? (sameTrack ? this.description : undefined);
    if (!this.decoder || this.decoder.state === 'closed') this.decoder = this.createDecoder();
    this.decoder.configure({
      codec: track.codec,
      sampleRate: track.samplerate,
      numberOfChannels: channels,
      ...(effective ? { description: effective } : {}),
    });
    this.trackKey = trackKey;
    this.description = effective?.slice();
    return this.decoder;
  }

  private createDecoder(): AudioDecoder {
    const decoder = new AudioDecoder({
      output: (data) => this.play(data),
      error: () => {
        if (this.decoder === decoder) this.resetDecoder();
      },
    });
    return decoder;
  }

  private play(data: AudioData): void {
    try {
      if (this.closed) return;
      const buffer = this.context.createBuffer(data.numberOfChannels, data.numberOfFrames, data.sampleRate);
      for (let channel = 0; channel < data.numberOfChannels; channel++) {
        const samples = new Float32Array(data.numberOfFrames);
        data.copyTo(samples, { planeIndex: channel, format: 'f32-planar' });
        buffer.copyToChannel(samples, channel);
      }
      const now = this.context.currentTime;
      if (this.playHead < now + LEAD_SECONDS / 2 || this.playHead > now + MAX_AHEAD_SECONDS)
        this.playHead = now + LEAD_SECONDS;
      const source = this.context.createBufferSource();
      source.buffer = buffer;
      source.connect(this.context.destination);
      source.start(this.playHead);
      this.playHead += buffer.duration;
    } catch {
      this.onDropped();
    } finally {
      data.close();
    }
  }

  private resetDecoder(): void {
    if (this.decoder && this.decoder.state !== 'closed') this.decoder.close();
    this.decoder = undefined;
    this.trackKey = undefined;
    this.description = undefined;
  }
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
