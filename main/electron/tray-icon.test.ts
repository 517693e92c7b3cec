// The shipped tray icons: one per state, 16 px and 32 px (@2x) RGBA PNGs, loaded through nativeImage.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, it, vi } from 'vitest';
import { appRoot } from '../platform/paths';
import { TRAY_STATES, trayIcon, trayIconPath } from './tray-icon';

/** Width, height and colour type from a PNG's IHDR (RFC 2083: signature, then IHDR at byte 8). */
function pngHeader(file: string): { width: number; height: number; colorType: number } {
  const buf = fs.readFileSync(file);
  expect(buf.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  expect(buf.toString('ascii', 12, 16)).toBe('IHDR');
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20), colorType: buf[25]! };
}

/** The RGBA bytes of an 8-bit RGBA, non-interlaced PNG whose rows all use filter 0 (as make-tray-icons.mjs writes). */
function decodeRgba(file: string): Buffer {
  const buf = fs.readFileSync(file);
  const { width, height } = pngHeader(file);
  const idat: Buffer[] = [];
  for (let at = 8; at < buf.length;) {
    const len = buf.readUInt32BE(at);
    if (buf.toString('ascii', at + 4, at + 8) === 'IDAT') idat.push(buf.subarray(at + 8, at + 8 + len));
    at += 12 + len;
  }
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const out = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    expect(raw[y * (width * 4 + 1)]).toBe(0);
    raw.copy(out, y * width * 4, y * (width * 4 + 1) + 1, (y + 1) * (width * 4 + 1));
  }
  return out;
}

describe('tray icons', () => {
  it.each(TRAY_STATES)('%s has a 16 px icon and a 32 px @2x sibling in resources/icons', (state) => {
    const file = trayIconPath(state, undefined, 'linux');
    expect(file).toBe(path.join(appRoot(), 'resources', 'icons', `tray-${state}.png`));
    expect(pngHeader(file)).toEqual({ width: 16, height: 16, colorType: 6 });
    expect(pngHeader(file.replace(/\.png$/, '@2x.png'))).toEqual({ width: 32, height: 32, colorType: 6 });
  });

  it('the three states look different', () => {
    const bytes = TRAY_STATES.map((s) =>
      fs.readFileSync(trayIconPath(s, undefined, 'linux')).toString('base64'),
    );
    expect(new Set(bytes).size).toBe(3);
  });

  it.each(TRAY_STATES)(
    '%s has a macOS template image: black with alpha only, loaded as a template',
    (state) => {
      const file = trayIconPath(state, undefined, 'darwin');
      expect(path.basename(file)).toBe(`tray-${state}Template.png`);
      expect(pngHeader(file)).toEqual({ width: 16, height: 16, colorType: 6 });
      expect(pngHeader(file.replace(/\.png$/, '@2x.png'))).toEqual({ width: 32, height: 32, colorType: 6 });
      const rgba = decodeRgba(file);
      let opaque = 0;
      for (let i = 0; i < rgba.length; i += 4) {
        if (rgba[i + 3]! === 0) continue;
        opaque += 1;
        expect([rgba[i], rgba[i + 1], rgba[i + 2]]).toEqual([0, 0, 0]);
      }
      expect(opaque).toBeGreaterThan(20);
      const image = trayIcon(state, vi.fn(), undefined, 'darwin') as unknown as { templateImage: boolean };
      expect(image.templateImage).toBe(true);
      expect(
        (trayIcon(state, vi.fn(), undefined, 'linux') as unknown as { templateImage: boolean }).templateImage,
      ).toBe(false);
    },
  );

  it('the three template images differ in shape', () => {
    const bytes = TRAY_STATES.map((s) =>
      fs.readFileSync(trayIconPath(s, undefined, 'darwin')).toString('base64'),
    );
    expect(new Set(bytes).size).toBe(3);
  });

  it('reports a missing icon file instead of throwing', () => {
    const onMissing = vi.fn();
    const image = trayIcon('ok', onMissing, '/nonexistent/icons');
    expect(image.isEmpty()).toBe(true);
    expect(onMissing).toHaveBeenCalledWith('/nonexistent/icons/tray-ok.png');
  });
});
