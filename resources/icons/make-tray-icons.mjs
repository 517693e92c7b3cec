// Generates the tray icons (tray-<state>.png 16 px and tray-<state>@2x.png 32 px) with node's zlib: `node resources/icons/make-tray-icons.mjs`.
//
// Each icon is a light-grey ring (the app) with a status dot at the lower right: green = all well,
// amber = an agent failed, red = LiteLLM down. macOS gets template images as well
// (tray-<state>Template.png, black + alpha only, so the menu bar tints them for light and dark mode;
// Electron: a file name ending in "Template" is a template image): there the state is told by the
// mark's shape instead of its colour — a dot (all well), a triangle (an agent failed), a cross (LiteLLM down). Anti-aliased by 4×4 supersampling. PNG layout from
// RFC 2083 (signature, IHDR, IDAT with filter byte 0 per row, IEND; CRC-32 over type + data).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

const here = path.dirname(fileURLToPath(import.meta.url));
const STATES = { ok: [46, 204, 113], warn: [243, 156, 18], down: [231, 76, 60] };
const RING = [220, 224, 230];

function crc32(buf) {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

function png(size, rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) rgba.copy(raw, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Colour and coverage of one sample point in unit coordinates (0..1). */
function sample(x, y, dot) {
  if (Math.hypot(x - 0.72, y - 0.72) <= 0.26) return dot;
  if (Math.hypot(x - 0.72, y - 0.72) <= 0.33) return null; // gap around the dot
  const r = Math.hypot(x - 0.44, y - 0.44);
  if (r <= 0.4 && r >= 0.26) return RING;
  return null;
}

const BLACK = [0, 0, 0];

/** Template sample (macOS): the ring plus a state mark whose shape, not colour, carries the state. */
function sampleTemplate(x, y, state) {
  const dx = x - 0.72;
  const dy = y - 0.72;
  let mark = false;
  if (state === 'ok') mark = Math.hypot(dx, dy) <= 0.24;
  else if (state === 'warn') mark = y <= 0.98 && y >= 0.46 && Math.abs(dx) <= (y - 0.46) * 0.55;
  else
    mark =
      Math.max(Math.abs(dx), Math.abs(dy)) <= 0.24 && (Math.abs(dx - dy) <= 0.1 || Math.abs(dx + dy) <= 0.1);
  if (mark) return BLACK;
  if (Math.hypot(dx, dy) <= 0.33) return null; // gap around the mark
  const r = Math.hypot(x - 0.44, y - 0.44);
  return r <= 0.4 && r >= 0.26 ? BLACK : null;
}

function draw(size, dot, sampler = sample) {
  const out = Buffer.alloc(size * size * 4);
  const n = 4;
  for (let py = 0; py < size; py++)
    for (let px = 0; px < size; px++) {
      let r = 0,
        g = 0,
        b = 0,
        a = 0;
      for (let sy = 0; sy < n; sy++)
        for (let sx = 0; sx < n; sx++) {
          const c = sampler((px + (sx + 0.5) / n) / size, (py + (sy + 0.5) / n) / size, dot);
          if (!c) continue;
          r += c[0];
          g += c[1];
          b += c[2];
          a++;
        }
      const i = (py * size + px) * 4;
      if (!a) continue;
      out[i] = r / a;
      out[i + 1] = g / a;
      out[i + 2] = b / a;
      out[i + 3] = (255 * a) / (n * n);
    }
  return out;
}

for (const [state, dot] of Object.entries(STATES)) {
  fs.writeFileSync(path.join(here, `tray-${state}.png`), png(16, draw(16, dot)));
  fs.writeFileSync(path.join(here, `tray-${state}@2x.png`), png(32, draw(32, dot)));
  fs.writeFileSync(path.join(here, `tray-${state}Template.png`), png(16, draw(16, state, sampleTemplate)));
  fs.writeFileSync(path.join(here, `tray-${state}Template@2x.png`), png(32, draw(32, state, sampleTemplate)));
}
console.log(`wrote ${Object.keys(STATES).length * 4} tray icons to ${here}`);
