// The full searchable emoji picker (emoji-picker-react, native glyphs, data in the bundle): loaded lazily by EmojiField.
import { useLayoutEffect, useRef } from 'react';
import type { ReactElement } from 'react';
import EmojiPicker, { EmojiStyle, SuggestionMode, Theme } from 'emoji-picker-react';

/** The picker's stylesheet, adopted once per document (see {@link adoptPickerStyles}). */
let adopted: CSSStyleSheet | null = null;

/**
 * emoji-picker-react puts its CSS in an inline `<style>` element, which the app's CSP (`style-src 'self'`,
 * no 'unsafe-inline') refuses to apply. Its text is still in the DOM, so it is copied into a constructed
 * stylesheet on `document.adoptedStyleSheets` (CSP's `style-src` governs
 * `<style>` elements and `style` attributes, not sheets built through CSSOM). Done once; later pickers
 * find it adopted.
 */
function adoptPickerStyles(root: HTMLElement | null): void {
  if (adopted || !root || typeof CSSStyleSheet === 'undefined') return;
  const css = root.querySelector('style')?.textContent ?? '';
  if (!css) return;
  adopted = new CSSStyleSheet();
  adopted.replaceSync(css);
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, adopted];
}

/** The picker's theme: the app's forced theme (`<html data-theme>`), else the OS's. */
function pickerTheme(): Theme {
  const forced = document.documentElement.dataset.theme;
  return forced === 'dark' ? Theme.DARK : forced === 'light' ? Theme.LIGHT : Theme.AUTO;
}

/**
 * The picker: native emoji (never `EmojiStyle.APPLE` & co., which load images from a CDN: the app works
 * offline and its CSP blocks remote images), search focused on open, the app's theme, skin tones.
 * `onPick` gets the emoji as text and its name.
 */
export default function EmojiPickerPanel({
  onPick,
}: {
  onPick: (emoji: string, name: string) => void;
}): ReactElement {
  const root = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => adoptPickerStyles(root.current), []);
  return (
    <div ref={root} className="emoji-picker-panel" data-testid="emoji-picker">
      <EmojiPicker
        emojiStyle={EmojiStyle.NATIVE}
        theme={pickerTheme()}
        suggestedEmojisMode={SuggestionMode.RECENT}
        autoFocusSearch
        searchPlaceholder="Search emoji"
        previewConfig={{ showPreview: false }}
        width="100%"
        height={380}
        onEmojiClick={(data) => onPick(data.emoji, data.names.at(-1) ?? data.emoji)}
      />
    </div>
  );
}
