// The viewer's video output: LOC video frames → VideoDecoder (configured from the catalog's codec and
// the keyframe's decoder config) → the canvas. A delta frame is decoded only when it directly
// follows the last decoded object of the same group; after a join, a gap, a decoder error or a
// codec change the sink waits for the next keyframe instead of feeding the decoder garbage.
import type { VideoTrackEntry } from '../../../common/media/catalog.js';
import type { LocFrame } from '../../../common/media/loc.js';
import { wallClockUs } from './rate-meter.js';

/** Frames waiting in the decoder beyond this: it cannot keep up, skip to the next keyframe. */
const MAX_DECODE_QUEUE = 15;

export interface VideoSinkEvents {
  /** A decoded frame was drawn; `latencyMs` is capture-to-display. */
  onShown(latencyMs: number): void;
  /** A frame could not be decoded or shown (no catalog yet, waiting for a keyframe, decoder error). */
  onDropped(): void;
}

export class VideoSink {
  private readonly context: CanvasRenderingContext2D;
  private track: VideoTrackEntry | undefined;
  private decoder: VideoDecoder | undefined;
  private configKey: string | undefined;
  private waitingForKeyframe = true;
  private last: { group: number; object: number } | undefined;
  private closed = false;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly events: VideoSinkEvents,
  ) {
    const context = canvas.getContext('2d', { alpha: false, desynchronized: true });
    if (!context) throw new Error('the viewer canvas has no 2D context');
    this.context = context;
  }

  /** The catalog's video track; a different codec takes effect at the next keyframe. */
  setTrack(track: VideoTrackEntry | undefined): void {
    if (track?.codec !== this.track?.codec) this.waitingForKeyframe = true;
    this.track = track;
  }

  push(group: number, object: number, frame: LocFrame): void {
    if (this.closed) return;
    const track = this.track;
    const follows = this.last !== undefined && group === this.last.group && object === this.last.object + 1;
    if (!track || (!frame.keyframe && (this.waitingForKeyframe || !follows))) {
      this.waitingForKeyframe = true;
      this.events.onDropped();
      return;
    }
    try {
      const decoder = frame.keyframe ? this.configure(track, frame.config) : this.decoder;
      if (!decoder || decoder.state !== 'configured' || decoder.decodeQueueSize > MAX_DECODE_QUEUE) {
        this.waitingForKeyframe = true;
        this.events.onDropped();
        return;
      }
      decoder.decode(
        new EncodedVideoChunk({
          type: frame.keyframe ? 'key' : 'delta',
          timestamp: frame.timestampUs,
          data: frame.payload,
        }),
      );
      this.last = { group, object };
      this.waitingForKeyframe = false;
    } catch {
      this.reset();
      this.events.onDropped();
    }
  }

  close(): void {
    this.closed = true;
    this.reset();
  }

  private configure(track: VideoTrackEntry, description: Uint8Array | undefined): VideoDecoder {
    const key = `${track.codec}|${description ? Array.from(description).join(',') : ''}`;
    if (this.decoder && this.decoder.state === 'configured' && key === this.configKey) return this.decoder;
    if (!this.decoder || this.decoder.state === 'closed') this.decoder = this.createDecoder();
    this.decoder.configure({
      codec: track.codec,
      optimizeForLatency: true,
      ...(description ? { description } : {}),
    });
    this.configKey = key;
    return this.decoder;
  }

  private createDecoder(): VideoDecoder {
    const decoder = new VideoDecoder({
      output: (frame) => this.show(frame),
      error: () => {
        // Unsupported configuration or a corrupt bitstream: start over at the next keyframe.
        if (this.decoder === decoder) this.reset();
      },
    });
    return decoder;
  }

  private show(frame: VideoFrame): void {
    try {
      if (this.closed) return;
      const { displayWidth: width, displayHeight: height } = frame;
      if (this.canvas.width !== width || this.canvas.height !== height) {
        this.canvas.width = width;
        this.canvas.height = height;
      }
      this.context.drawImage(frame, 0, 0, width, height);
      this.events.onShown(Math.max(0, (wallClockUs() - frame.timestamp) / 1000));
    } finally {
      frame.close();
    }
  }

  private reset(): void {
    if (this.decoder && this.decoder.state !== 'closed') this.decoder.close();
    this.decoder = undefined;
    this.configKey = undefined;
    this.waitingForKeyframe = true;
    this.last = undefined;
  }
}
