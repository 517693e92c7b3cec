// Tray icon files per overall state (resources/icons/tray-<state>.png, made by make-tray-icons.mjs).
import path from 'node:path';
import { nativeImage } from 'electron';
import type { NativeImage } from 'electron';
import { resourcesDir } from '../platform/paths';
import type { TrayState } from './tray-menu';

/** Every state that has an icon. */
export const TRAY_STATES: readonly TrayState[] = ['ok', 'warn', 'down'];

/**
 * Path of the 16 px icon of `state` under `<resources>/icons/`; Electron's `nativeImage.createFromPath`
 * picks the `@2x` sibling (32 px) on HiDPI screens by itself (Electron docs, nativeImage "High
 * Resolution Image").
 */
export function trayIconPath(state: TrayState, dir: string = path.join(resourcesDir(), 'icons')): string {
  return path.join(dir, `tray-${state}.png`);
}

/**
 * Loads the icon of `state`. Never throws: a missing file gives an empty image (Electron shows a blank
 * tray slot), and `onMissing` is told which file is missing so it can be logged.
 */
export function trayIcon(state: TrayState, onMissing: (file: string) => void, dir?: string): NativeImage {
  const file = trayIconPath(state, dir);
  const image = nativeImage.createFromPath(file);
  if (image.isEmpty()) onMissing(file);
  return image;
}
