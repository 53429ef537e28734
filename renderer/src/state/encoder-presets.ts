// The encoder choices the producer form offers. Presets rather than free numbers: every combination
// here is one the WebCodecs encoders of Chromium accept for all three codecs.
import type { EncoderSettings, VideoCodecName } from '../media/api.js';

export interface ResolutionPreset {
  readonly label: string;
  readonly width: number;
  readonly height: number;
}

export const RESOLUTIONS: readonly ResolutionPreset[] = [
  { label: '360p', width: 640, height: 360 },
  { label: '480p', width: 854, height: 480 },
  { label: '720p', width: 1280, height: 720 },
  { label: '1080p', width: 1920, height: 1080 },
];

export const FRAME_RATES: readonly number[] = [15, 24, 30, 60];

/** Video bitrates in kbit/s. */
export const BITRATES_KBPS: readonly number[] = [500, 1000, 1500, 2500, 4000, 6000, 8000];

export const CODEC_LABELS: Readonly<Record<VideoCodecName, string>> = {
  vp8: 'VP8',
  h264: 'H.264',
  av1: 'AV1',
};

/** Most widely decodable first: the default is the first of these the encoder supports. */
export const CODEC_PREFERENCE: readonly VideoCodecName[] = ['vp8', 'h264', 'av1'];

export const DEFAULT_ENCODER: EncoderSettings = {
  codec: 'vp8',
  width: 1280,
  height: 720,
  frameRate: 30,
  bitrate: 2_500_000,
  audio: true,
};

export function resolutionKey(settings: Pick<EncoderSettings, 'width' | 'height'>): string {
  return `${settings.width}x${settings.height}`;
}
