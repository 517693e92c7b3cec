// Draws the Agent Desk app icon in pure Node and writes it as PNG (Linux sizes), ICNS (macOS) and ICO (Windows) into build/.
//
// Usage: node build/generate-icons.mjs [outDir]   (default: this folder). Deterministic: same pixels every run.
// Formats: PNG (ISO/IEC 15948, RGBA 8-bit, no filter); ICO with PNG-compressed entries (Windows Vista+);
// ICNS with PNG-compressed `icp4…ic10` elements (macOS 10.7+). No image library is needed.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

/** Square sizes written as `icons/<n>x<n>.png` (electron-builder's Linux icon set). */
export const LINUX_SIZES = [16, 32, 48, 64, 128, 256, 512, 1024];
/** ICO entries (256 is what electron-builder requires at least). */
export const ICO_SIZES = [16, 24, 32, 48, 64, 128, 256];
/** ICNS element type per size (Apple Icon Image format). */
export const ICNS_TYPES = [
  ['icp4', 16],
  ['icp5', 32],
  ['icp6', 64],
  ['ic07', 128],
  ['ic08', 256],
  ['ic09', 512],
  ['ic10', 1024],
];

const BG_TOP = [0x2a, 0x30, 0x3d];
const BG_BOTTOM = [0x11, 0x13, 0x18];
const DOTS = [
  [0x4f, 0x9d, 0xff], // blue
  [0x3d, 0xd6, 0x8c], // green
  [0xff, 0xb8, 0x4d], // amber
  [0xc0, 0x84, 0xfc], // violet
];
const SAMPLES = 4; // 4×4 supersampling per pixel for anti-aliased edges

/** Signed distance (in unit-square coordinates) to a rounded square centred at 0.5 with half-size h and radius r. */
function roundedSquare(x, y, h, r) {
  const qx = Math.abs(x - 0.5) - (h - r);
  const qy = Math.abs(y - 0.5) - (h - r);
  const outside = Math.hypot(Math.max(qx, 0), Math.max(qy, 0));
  return outside + Math.min(Math.max(qx, qy), 0) - r;
}

/** Colour of one sample point (x, y in [0,1]): [r, g, b, a] with a in [0,1]. */
function shade(x, y) {
  if (roundedSquare(x, y, 0.46, 0.1) > 0) return [0, 0, 0, 0];
  // Four "agents": a 2×2 grid of discs; the one at the bottom right is a ring (an agent starting).
  const centres = [
    [0.34, 0.34],
    [0.66, 0.34],
    [0.34, 0.66],
    [0.66, 0.66],
  ];
  for (let i = 0; i < centres.length; i++) {
    const [cx, cy] = centres[i];
    const d = Math.hypot(x - cx, y - cy);
    const inDisc = i === 3 ? d <= 0.11 && d >= 0.065 : d <= 0.11;
    if (inDisc) return [...DOTS[i], 1];
  }
  const t = y;
  return [0, 1, 2].map((c) => BG_TOP[c] + (BG_BOTTOM[c] - BG_TOP[c]) * t).concat(1);
}

/**
 * Renders the icon at `size`×`size` pixels.
 * @param {number} size pixels per side (1…4096)
 * @returns {Buffer} RGBA rows, 4 bytes per pixel, straight (not premultiplied) alpha
 */
export function renderIcon(size) {
  if (!Number.isInteger(size) || size < 1 || size > 4096)
    throw new RangeError(`icon size must be an integer from 1 to 4096, got ${size}`);
  const out = Buffer.alloc(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let r = 0,
        g = 0,
        b = 0,
        a = 0;
      for (let sy = 0; sy < SAMPLES; sy++) {
        for (let sx = 0; sx < SAMPLES; sx++) {
          const [cr, cg, cb, ca] = shade(
            (px + (sx + 0.5) / SAMPLES) / size,
            (py + (sy + 0.5) / SAMPLES) / size,
          );
          r += cr * ca;
          g += cg * ca;
          b += cb * ca;
          a += ca;
        }
      }
      const o = (py * size + px) * 4;
      out[o] = a ? Math.round(r / a) : 0;
      out[o + 1] = a ? Math.round(g / a) : 0;
      out[o + 2] = a ? Math.round(b / a) : 0;
      out[o + 3] = Math.round((a / (SAMPLES * SAMPLES)) * 255);
    }
  }
  return out;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf) {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/**
 * Encodes RGBA pixels as a PNG file.
 * @param {Buffer} rgba size×size×4 bytes
 * @param {number} size pixels per side
 * @returns {Buffer} the PNG file
 */
export function encodePng(rgba, size) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // colour type RGBA
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) rgba.copy(raw, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Builds an ICO file from PNG images: `[[size, png], …]` (a size of 256 is written as 0, per the format). */
export function encodeIco(images) {
  const header = Buffer.alloc(6);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2); // type: icon
  header.writeUInt16LE(images.length, 4);
  const dir = Buffer.alloc(16 * images.length);
  let offset = 6 + dir.length;
  images.forEach(([size, png], i) => {
    const e = i * 16;
    dir[e] = size >= 256 ? 0 : size;
    dir[e + 1] = size >= 256 ? 0 : size;
    dir.writeUInt16LE(1, e + 4); // colour planes
    dir.writeUInt16LE(32, e + 6); // bits per pixel
    dir.writeUInt32LE(png.length, e + 8);
    dir.writeUInt32LE(offset, e + 12);
    offset += png.length;
  });
  return Buffer.concat([header, dir, ...images.map(([, png]) => png)]);
}

/** Builds an ICNS file from `[[type, png], …]` elements. */
export function encodeIcns(elements) {
  const parts = elements.map(([type, png]) => {
    const head = Buffer.alloc(8);
    head.write(type, 0, 'ascii');
    head.writeUInt32BE(png.length + 8, 4);
    return Buffer.concat([head, png]);
  });
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'ascii');
  head.writeUInt32BE(body.length + 8, 4);
  return Buffer.concat([head, body]);
}

/**
 * Writes `icon.png` (1024), `icons/<n>x<n>.png`, `icon.icns` and `icon.ico` into `outDir`.
 * @param {string} outDir folder to write into (created when missing)
 * @returns {string[]} the files written, relative to outDir
 */
export function writeIcons(outDir) {
  const sizes = [...new Set([...LINUX_SIZES, ...ICO_SIZES, ...ICNS_TYPES.map(([, s]) => s)])];
  const png = new Map(sizes.map((s) => [s, encodePng(renderIcon(s), s)]));
  const written = [];
  const write = (rel, data) => {
    fs.mkdirSync(path.dirname(path.join(outDir, rel)), { recursive: true });
    fs.writeFileSync(path.join(outDir, rel), data);
    written.push(rel);
  };
  write('icon.png', png.get(1024));
  for (const s of LINUX_SIZES) write(path.join('icons', `${s}x${s}.png`), png.get(s));
  write('icon.icns', encodeIcns(ICNS_TYPES.map(([type, s]) => [type, png.get(s)])));
  write('icon.ico', encodeIco(ICO_SIZES.map((s) => [s, png.get(s)])));
  return written;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outDir = path.resolve(process.argv[2] ?? path.dirname(fileURLToPath(import.meta.url)));
  for (const file of writeIcons(outDir)) console.log(path.join(outDir, file));
}
