// The shipped tray icons: one per state, 16 px and 32 px (@2x) RGBA PNGs, loaded through nativeImage.
import fs from 'node:fs';
import path from 'node:path';
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

describe('tray icons', () => {
  it.each(TRAY_STATES)('%s has a 16 px icon and a 32 px @2x sibling in resources/icons', (state) => {
    const file = trayIconPath(state);
    expect(file).toBe(path.join(appRoot(), 'resources', 'icons', `tray-${state}.png`));
    expect(pngHeader(file)).toEqual({ width: 16, height: 16, colorType: 6 });
    expect(pngHeader(file.replace(/\.png$/, '@2x.png'))).toEqual({ width: 32, height: 32, colorType: 6 });
  });

  it('the three states look different', () => {
    const bytes = TRAY_STATES.map((s) => fs.readFileSync(trayIconPath(s)).toString('base64'));
    expect(new Set(bytes).size).toBe(3);
  });

  it('reports a missing icon file instead of throwing', () => {
    const onMissing = vi.fn();
    const image = trayIcon('ok', onMissing, '/nonexistent/icons');
    expect(image.isEmpty()).toBe(true);
    expect(onMissing).toHaveBeenCalledWith('/nonexistent/icons/tray-ok.png');
  });
});
