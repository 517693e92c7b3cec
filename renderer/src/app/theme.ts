// Applies the theme setting: `system` lets CSS follow prefers-color-scheme; light/dark force it.
import { useEffect } from 'react';
import { selectSavedTheme, useSettings } from '../stores/settings';

/** The theme setting (`contract/settings.ts` Theme). */
export type ThemeSetting = 'system' | 'light' | 'dark';

/**
 * Sets `data-theme` on `root` (the `<html>` element). styles.css uses `color-scheme` with `light-dark()`,
 * so `system` follows the OS live with no script, and `light`/`dark` pin the scheme.
 */
export function applyTheme(root: HTMLElement, theme: ThemeSetting): void {
  root.dataset.theme = theme;
}

/** React hook: keeps `<html data-theme>` in step with the saved theme setting. */
export function useThemeSync(): void {
  const theme = useSettings(selectSavedTheme);
  useEffect(() => applyTheme(document.documentElement, theme), [theme]);
}
