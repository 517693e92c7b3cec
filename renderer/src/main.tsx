// Renderer entry: pick the transport (IPC bridge or HTTP with token), install the client, start live data, render.
// Twemoji as a COLR color font (twemoji-colr-font, 0.5 MB), served from the app's own origin (CSP
// `font-src 'self'`), so an agent's emoji looks the same on every machine, including one without an emoji
// font. A COLRv0 font: Debian's Chromium draws it, while Noto Color Emoji's web font (COLRv1) stays blank
// there (docs/decisions/014-ux-emoji-font.md). Declared here with `font-display: swap` (the package's CSS
// sets none, i.e. text in it stays invisible for up to 3 s while the 0.5 MB load): the first paint never
// waits for it; the browser fetches it only once some text needs one of its glyphs.
import twemojiUrl from 'twemoji-colr-font/twemoji.woff2?url';
// The global base (tokens, resets, layout, shared components) before any feature's own styles, which
// each feature imports beside it (features/<id>/<id>.css): later rules win at equal specificity.
import './styles.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { connectToCore } from './api';
import { forgetToken } from './api/token';
import { startLive } from './app/live';
import { NoTokenScreen } from './components/TokenScreens';
import { setClient } from './stores/client';
import { connectionStore } from './stores/connection';

if (typeof FontFace === 'function')
  document.fonts.add(new FontFace('Twemoji', `url(${twemojiUrl}) format('woff2')`, { display: 'swap' }));

const env = {
  location: window.location,
  history: window.history,
  storage: window.sessionStorage,
  origin: window.location.origin,
};
const connection = connectToCore(window.bridge ? { ...env, bridge: window.bridge } : env, (signal) =>
  connectionStore.getState().report(signal),
);

const rootElement = document.getElementById('root');
if (!rootElement) throw new Error('index.html has no #root element');
const root = createRoot(rootElement);

if (connection.kind === 'no-token') {
  root.render(<NoTokenScreen />);
} else {
  setClient(connection.client);
  if (connection.mode === 'http') {
    // A refused token is useless for this tab: forget it so a reload shows the "open the URL" screen.
    connectionStore.subscribe((s) => {
      if (s.status === 'unauthorized') forgetToken(env);
    });
  }
  startLive();
  root.render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
