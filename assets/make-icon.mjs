// Regenerates assets/icon.png (512x512 RGBA): broadcast rings around a dot on a dark rounded square.
// Dependency-free (zlib + a hand-written PNG encoder) so it runs anywhere: `node assets/make-icon.mjs`.
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const SIZE = 512;
const SAMPLES = 4; // supersampling per axis, for anti-aliased edges
const BG = [15, 17, 21];
const ACCENT = [79, 140, 255];

/** Colour and coverage of one sub-sample at (x, y) in pixel units. */
function shade(x, y) {
  const c = SIZE / 2;
  // Rounded square with radius 96 covering the whole canvas.
  const r = 96;
  const qx = Math.max(Math.abs(x - c) - (c - r), 0);
  const qy = Math.max(Math.abs(y - c) - (c - r), 0);
  if (Math.hypot(qx, qy) > r) return null;
  const d = Math.hypot(x - c, y - c);
  if (d < 44) return ACCENT; // the source
  // Three rings on each side, like a broadcast symbol: only within 50° of the horizontal.
  const angle = Math.abs(Math.atan2(y - c, x - c));
  const open = angle < (50 * Math.PI) / 180 || angle > (130 * Math.PI) / 180;
  for (const ring of [92, 140, 188]) if (open && Math.abs(d - ring) < 14) return ACCENT;
  return BG;
}

const raw = Buffer.alloc(SIZE * (SIZE * 4 + 1));
for (let y = 0; y < SIZE; y++) {
  const row = y * (SIZE * 4 + 1);
  raw[row] = 0; // filter: none
  for (let x = 0; x < SIZE; x++) {
    const sum = [0, 0, 0, 0];
    for (let sy = 0; sy < SAMPLES; sy++) {
      for (let sx = 0; sx < SAMPLES; sx++) {
        const colour = shade(x + (sx + 0.5) / SAMPLES, y + (sy + 0.5) / SAMPLES);
        if (!colour) continue;
        for (let i = 0; i < 3; i++) sum[i] += colour[i];
        sum[3] += 1;
      }
    }
    const offset = row + 1 + x * 4;
    const n = sum[3];
    for (let i = 0; i < 3; i++) raw[offset + i] = n ? Math.round(sum[i] / n) : 0;
    raw[offset + 3] = Math.round((255 * n) / (SAMPLES * SAMPLES));
  }
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

const header = Buffer.alloc(13);
header.writeUInt32BE(SIZE, 0);
header.writeUInt32BE(SIZE, 4);
header[8] = 8; // bit depth
header[9] = 6; // colour type: RGBA
// compression, filter and interlace methods: 0

const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', header),
  chunk('IDAT', deflateSync(raw, { level: 9 })),
  chunk('IEND', Buffer.alloc(0)),
]);
writeFileSync(new URL('./icon.png', import.meta.url), png);
console.log(`wrote assets/icon.png (${png.length} bytes)`);
