// Generates the tray icons (tray-<state>.png 16 px and tray-<state>@2x.png 32 px) with the PNG encoder of build/generate-icons.mjs: `node resources/icons/make-tray-icons.mjs`.
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
import { encodePng } from '../../build/generate-icons.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const STATES = { ok: [46, 204, 113], warn: [243, 156, 18], down: [231, 76, 60] };
const RING = [220, 224, 230];

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
  fs.writeFileSync(path.join(here, `tray-${state}.png`), encodePng(draw(16, dot), 16));
  fs.writeFileSync(path.join(here, `tray-${state}@2x.png`), encodePng(draw(32, dot), 32));
  fs.writeFileSync(
    path.join(here, `tray-${state}Template.png`),
    encodePng(draw(16, state, sampleTemplate), 16),
  );
  fs.writeFileSync(
    path.join(here, `tray-${state}Template@2x.png`),
    encodePng(draw(32, state, sampleTemplate), 32),
  );
}
console.log(`wrote ${Object.keys(STATES).length * 4} tray icons to ${here}`);
