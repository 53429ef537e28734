// Browser side of the media pipeline test (bundled by browser-page.ts): a producer and two viewers
// joined by an in-page loopback media channel that goes through the bridge's binary frame format
// and records every frame it carries. One viewer holds the broadcast's key, the "intruder" a
// different key for the same epoch. The Node test drives it through `window.mediaPipelineTest`.
import { decodeMediaFrame, encodeMediaFrame } from '../../common/bridge/media-frame.js';
import type { MediaChannel, MediaFrame, MediaKeyMaterial } from '../../common/bridge/index.js';
import { parseCatalog } from '../../common/media/catalog.js';
import { decodeLocFrame } from '../../common/media/loc.js';
import { webCryptoBackend } from '../../common/sframe/backends/webcrypto.js';
import type {
  EncoderSettings,
  MediaStats,
  ProducerPipeline,
  VideoCodecName,
  ViewerPipeline,
} from '../../renderer/src/media/api.js';
import {
  captureMedia,
  startProducer,
  startViewer,
  supportedVideoCodecs,
} from '../../renderer/src/media/index.js';
import { MediaCrypto } from '../../renderer/src/media/media-crypto.js';

const NAMESPACE = ['moq-studio', 'media', 'e2e'];
export const BROADCAST_KEY = Uint8Array.from({ length: 16 }, (_, i) => 0x10 + i);
const INTRUDER_KEY = Uint8Array.from({ length: 16 }, (_, i) => 0xf0 - i);
const RECORD_LIMIT = 4000;

const keys = (epoch: number, ownLeafIndex: number, baseKey: Uint8Array): MediaKeyMaterial => ({
  epoch,
  baseKey,
  leafCount: 2,
  ownLeafIndex,
});

/** Delivers what the producer sends to every viewer, through the bridge's encode/decode. */
class LoopbackChannel implements MediaChannel {
  readonly recorded: MediaFrame[] = [];
  private readonly listeners = new Set<(frame: MediaFrame) => void>();

  send(frame: MediaFrame): void {
    const wire = encodeMediaFrame(frame);
    if (this.recorded.length < RECORD_LIMIT) this.recorded.push(decodeMediaFrame(wire.slice()));
    for (const listener of this.listeners) listener(decodeMediaFrame(wire));
  }

  onFrame(listener: (frame: MediaFrame) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Hands `frame` to the viewers as if it came from the network (not recorded, not re-encoded). */
  inject(frame: MediaFrame): void {
    for (const listener of this.listeners) listener(frame);
  }

  close(): void {
    this.listeners.clear();
  }
}

function canvas(id: string): HTMLCanvasElement {
  const element = document.createElement('canvas');
  element.id = id;
  document.body.append(element);
  return element;
}

/** A cheap signature of what a canvas shows: a hash and whether it has any detail at all. */
function canvasSignature(element: HTMLCanvasElement): { hash: number; distinctValues: number } {
  const context = element.getContext('2d');
  if (!context || element.width === 0 || element.height === 0) return { hash: 0, distinctValues: 0 };
  const { data } = context.getImageData(0, 0, element.width, element.height);
  let hash = 0x811c9dc5;
  const seen = new Set<number>();
  for (let i = 0; i < data.length; i += 4 * 7) {
    const value = data[i]! ^ (data[i + 1]! << 8) ^ (data[i + 2]! << 16);
    seen.add(value);
    hash = Math.imul(hash ^ value, 0x01000193) >>> 0;
  }
  return { hash, distinctValues: seen.size };
}

export interface Snapshot {
  readonly producer: MediaStats;
  readonly viewer: MediaStats;
  readonly intruder: MediaStats;
  readonly viewerCanvas: { hash: number; distinctValues: number };
  readonly intruderCanvas: { hash: number; distinctValues: number };
  readonly sent: Record<'catalog' | 'video' | 'audio', number>;
}

export interface Inspection {
  readonly frames: Record<'catalog' | 'video' | 'audio', number>;
  readonly videoKeyframes: number;
  /** Keyframes whose decrypted chunk starts with a VP8 keyframe (start code 9d 01 2a at offset 3). */
  readonly vp8StartCodes: number;
  /** Ciphertexts in which the chunk's plaintext (its first 16 bytes, or the start code) shows. */
  readonly plaintextVisible: number;
  readonly openedWithBroadcastKey: number;
  readonly openedWithWrongKey: number;
  readonly catalogCodecs: string[];
  readonly catalogSchemes: string[];
}

let channel: LoopbackChannel | undefined;
let stream: MediaStream | undefined;
let producer: ProducerPipeline | undefined;
let viewer: ViewerPipeline | undefined;
let intruder: ViewerPipeline | undefined;
let viewerPlaysAudio = false;
const canvases = { viewer: canvas('viewer'), intruder: canvas('intruder') };

function running() {
  if (!channel || !producer || !viewer || !intruder) throw new Error('call start() first');
  return { channel, producer, viewer, intruder };
}

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

const api = {
  codecs: (): Promise<VideoCodecName[]> => supportedVideoCodecs(),

  /** Capture, then start the viewers (keys installed) and the producer (keys installed, not sending). */
  async start(codec: VideoCodecName, audio = true, withoutTrackProcessor = false): Promise<void> {
    // Hides MediaStreamTrackProcessor, so the producer reads video through its <video> fallback.
    if (withoutTrackProcessor) Reflect.deleteProperty(globalThis, 'MediaStreamTrackProcessor');
    const settings: EncoderSettings = {
      codec,
      width: 320,
      height: 240,
      frameRate: 15,
      bitrate: 300_000,
      audio,
    };
    stream = await captureMedia('camera', settings);
    channel = new LoopbackChannel();
    // The keyed viewer also plays the audio (WebAudio), so that path runs too.
    viewerPlaysAudio = audio;
    viewer = await startViewer({ canvas: canvases.viewer, channel, namespace: NAMESPACE, audio });
    intruder = await startViewer({ canvas: canvases.intruder, channel, namespace: NAMESPACE, audio: false });
    viewer.installKeys(keys(1, 1, BROADCAST_KEY));
    intruder.installKeys(keys(1, 1, INTRUDER_KEY));
    producer = await startProducer({ stream, settings, channel, namespace: NAMESPACE });
    producer.installKeys(keys(1, 0, BROADCAST_KEY));
  },

  useSendEpoch(epoch: number): void {
    running().producer.useSendEpoch({ epoch, ownLeafIndex: 0 });
  },

  /** A new epoch for the producer and the viewer (not the intruder), then the producer switches. */
  rekey(epoch: number): void {
    const { producer, viewer } = running();
    const key = BROADCAST_KEY.map((byte) => byte ^ epoch);
    viewer.installKeys(keys(epoch, 1, key));
    producer.installKeys(keys(epoch, 0, key));
    producer.useSendEpoch({ epoch, ownLeafIndex: 0 });
  },

  /**
   * Hostile traffic: random bytes on every track, recorded frames replayed, moved to another
   * track / group / object, or truncated. Returns how many injected frames each viewer must reject.
   */
  async injectHostile(): Promise<number> {
    const { channel } = running();
    const recorded = channel.recorded.filter((frame) => frame.track !== 'audio').slice(-20);
    const forged: MediaFrame[] = [];
    for (const track of ['catalog', 'video', 'audio'] as const) {
      for (const size of [1, 17, 200, 5000]) {
        forged.push({ track, group: 1, object: 0, payload: crypto.getRandomValues(new Uint8Array(size)) });
      }
    }
    for (const frame of recorded) {
      forged.push(frame);
      forged.push({ ...frame, track: frame.track === 'video' ? 'catalog' : 'video' });
      forged.push({ ...frame, group: frame.group + 1000 });
      forged.push({ ...frame, object: frame.object + 1 });
      forged.push({ ...frame, payload: frame.payload.subarray(0, frame.payload.length - 1) });
      const flipped = frame.payload.slice();
      flipped[flipped.length >> 1]! ^= 0x01;
      forged.push({ ...frame, payload: flipped });
    }
    // A viewer without audio output does not decrypt audio frames at all.
    const expected = forged.filter((frame) => frame.track !== 'audio' || viewerPlaysAudio).length;
    // In small batches: a flood would (rightly) be shed by the viewer's backlog limit instead.
    for (let i = 0; i < forged.length; i += 10) {
      for (const frame of forged.slice(i, i + 10)) channel.inject(frame);
      await new Promise((done) => setTimeout(done, 30));
    }
    // Shapes the bridge's decoder could never produce: dropped before any decryption.
    channel.inject({ track: 'video', group: -1, object: 0, payload: new Uint8Array(8) });
    channel.inject({ track: 'bogus' as 'video', group: 0, object: 0, payload: new Uint8Array(8) });
    channel.inject({ track: 'video', group: 0, object: 0, payload: 'x' as unknown as Uint8Array });
    return expected;
  },

  snapshot(): Snapshot {
    const { channel, producer, viewer, intruder } = running();
    const sent = { catalog: 0, video: 0, audio: 0 };
    for (const frame of channel.recorded) sent[frame.track]++;
    return {
      producer: producer.stats(),
      viewer: viewer.stats(),
      intruder: intruder.stats(),
      viewerCanvas: canvasSignature(canvases.viewer),
      intruderCanvas: canvasSignature(canvases.intruder),
      sent,
    };
  },

  /** Decrypts every recorded frame with the broadcast key and with a wrong key, outside the pipeline. */
  async inspect(): Promise<Inspection> {
    const { channel } = running();
    const right = new MediaCrypto(NAMESPACE, webCryptoBackend());
    await right.installKeys(keys(1, 1, BROADCAST_KEY));
    const wrong = new MediaCrypto(NAMESPACE, webCryptoBackend());
    await wrong.installKeys(keys(1, 1, INTRUDER_KEY));
    const result = {
      frames: { catalog: 0, video: 0, audio: 0 },
      videoKeyframes: 0,
      vp8StartCodes: 0,
      plaintextVisible: 0,
      openedWithBroadcastKey: 0,
      openedWithWrongKey: 0,
      catalogCodecs: [] as string[],
      catalogSchemes: [] as string[],
    };
    for (const frame of channel.recorded) {
      result.frames[frame.track]++;
      await wrong.unprotect(frame.track, frame.group, frame.object, frame.payload).then(
        () => result.openedWithWrongKey++,
        () => {},
      );
      const opened = await right
        .unprotect(frame.track, frame.group, frame.object, frame.payload)
        .catch(() => null);
      if (!opened) continue;
      result.openedWithBroadcastKey++;
      if (frame.track === 'catalog') {
        for (const track of parseCatalog(opened.plaintext).tracks) {
          result.catalogCodecs.push(track.codec);
          result.catalogSchemes.push(track.encryptionScheme);
        }
        continue;
      }
      const loc = decodeLocFrame(opened.plaintext, frame.track);
      const chunk = loc.payload;
      if (frame.track === 'video' && loc.keyframe) {
        result.videoKeyframes++;
        if (chunk[3] === 0x9d && chunk[4] === 0x01 && chunk[5] === 0x2a) result.vp8StartCodes++;
      }
      const leaksPrefix = chunk.length >= 16 && indexOf(frame.payload, chunk.subarray(0, 16)) >= 0;
      const leaksStartCode =
        loc.keyframe && frame.track === 'video' && indexOf(frame.payload, chunk.subarray(0, 6)) >= 0;
      if (leaksPrefix || leaksStartCode) result.plaintextVisible++;
    }
    return result;
  },

  stop(): void {
    producer?.stop();
    viewer?.stop();
    intruder?.stop();
    channel?.close();
    for (const track of stream?.getTracks() ?? []) track.stop();
    producer = viewer = intruder = channel = stream = undefined;
  },
};

export type MediaPipelineTestApi = typeof api;
(window as unknown as { mediaPipelineTest: MediaPipelineTestApi }).mediaPipelineTest = api;
document.title = 'media pipeline ready';
