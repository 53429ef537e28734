// WebCodecs codec strings for the studio's video codecs, sized to the picture (the H.264 / AV1 level
// must admit the resolution and frame rate, or encoders refuse the configuration), and the probe
// that tells the settings form which codecs this machine can encode.
import type { VideoCodecName } from './api.js';

/** [level_idc, max macroblocks per frame, max macroblocks per second] (H.264 Table A-1). */
const H264_LEVELS: readonly (readonly [number, number, number])[] = [
  [0x1f, 3600, 108_000],
  [0x20, 5120, 216_000],
  [0x28, 8192, 245_760],
  [0x2a, 8704, 522_240],
  [0x32, 22_080, 589_824],
  [0x33, 36_864, 983_040],
  [0x34, 36_864, 2_073_600],
];

/** [seq_level_idx, max picture size, max luma sample rate] (AV1 Annex A.3). */
const AV1_LEVELS: readonly (readonly [number, number, number])[] = [
  [0, 147_456, 4_423_680],
  [1, 278_784, 8_363_520],
  [4, 665_856, 19_975_680],
  [5, 1_065_024, 31_950_720],
  [8, 2_359_296, 70_778_880],
  [9, 2_359_296, 141_557_760],
  [12, 8_912_896, 267_386_880],
  [13, 8_912_896, 534_773_760],
];

function pick(levels: readonly (readonly [number, number, number])[], size: number, rate: number): number {
  const found = levels.find(([, maxSize, maxRate]) => size <= maxSize && rate <= maxRate);
  return (found ?? levels[levels.length - 1]!)[0];
}

export function videoCodecString(
  codec: VideoCodecName,
  width: number,
  height: number,
  frameRate: number,
): string {
  switch (codec) {
    case 'vp8':
      return 'vp8';
    case 'h264': {
      // Constrained Baseline: no B-frames, so decode order is presentation order (one frame per object).
      const macroblocks = Math.ceil(width / 16) * Math.ceil(height / 16);
      const level = pick(H264_LEVELS, macroblocks, macroblocks * frameRate);
      return `avc1.42E0${level.toString(16).toUpperCase().padStart(2, '0')}`;
    }
    case 'av1': {
      const level = pick(AV1_LEVELS, width * height, width * height * frameRate);
      return `av01.0.${String(level).padStart(2, '0')}M.08`;
    }
  }
}

const PROBE = { width: 1280, height: 720, frameRate: 30, bitrate: 2_500_000 };

async function encodable(codec: VideoCodecName): Promise<boolean> {
  if (typeof VideoEncoder === 'undefined') return false;
  try {
    const { supported } = await VideoEncoder.isConfigSupported({
      codec: videoCodecString(codec, PROBE.width, PROBE.height, PROBE.frameRate),
      width: PROBE.width,
      height: PROBE.height,
      framerate: PROBE.frameRate,
      bitrate: PROBE.bitrate,
      latencyMode: 'realtime',
      ...(codec === 'h264' ? { avc: { format: 'avc' as const } } : {}),
    });
    return supported === true;
  } catch {
    return false;
  }
}

/** VP8 always (Chromium ships a software encoder); H.264 and AV1 when the encoder accepts them. */
export async function supportedVideoCodecs(): Promise<VideoCodecName[]> {
  const [h264, av1] = await Promise.all([encodable('h264'), encodable('av1')]);
  return ['vp8', ...(h264 ? (['h264'] as const) : []), ...(av1 ? (['av1'] as const) : [])];
}
