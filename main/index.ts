// Electron entry: lifecycle only — the desktop shell around the same core that `agentdesk serve` runs.
import path from 'node:path';
import { startCore } from './app/bootstrap';
import { runDesktop } from './electron/lifecycle';

// This file is always bundled to out/main/index.js (shared code goes to out/main/chunks/), so the
// preload (out/preload/) and the renderer (out/renderer/) are found from here, in a checkout and in app.asar.
const outDir = path.join(__dirname, '..');

void runDesktop({
  startCore,
  preloadPath: path.join(outDir, 'preload', 'index.js'),
  rendererDir: path.join(outDir, 'renderer'),
});
