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
 * Resolution Image"). On macOS it is the template image `tray-<state>Template.png` (black + alpha; the
 * menu bar tints it for light and dark mode, Electron docs "Template Image"), whose mark's shape tells
 * the state; elsewhere the coloured one.
 */
export function trayIconPath(
  state: TrayState,
  dir: string = path.join(resourcesDir(), 'icons'),
  platform: NodeJS.Platform = process.platform,
): string {
  return path.join(dir, platform === 'darwin' ? `tray-${state}Template.png` : `tray-${state}.png`);
}

/**
 * Loads the icon of `state` (a template image on macOS). Never throws: a missing file gives an empty
 * image (Electron shows a blank tray slot), and `onMissing` is told which file is missing so it can be logged.
 */
export function trayIcon(
  state: TrayState,
  onMissing: (file: string) => void,
  dir?: string,
  platform: NodeJS.Platform = process.platform,
): NativeImage {
  const file = trayIconPath(state, dir, platform);
  const image = nativeImage.createFromPath(file);
  if (image.isEmpty()) onMissing(file);
  else if (platform === 'darwin') image.setTemplateImage(true);
  return image;
}
