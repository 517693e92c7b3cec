// Electron entry: lifecycle only — the desktop shell around the same core that `agentdesk serve` runs.
import path from 'node:path';
import { app } from 'electron';
import { startCore } from './app/bootstrap';
import { startBackground } from './electron/desktop-shell';
import { runDesktop } from './electron/lifecycle';
import { launchCommand } from './electron/login-item';
import { CLI_COMMANDS, runCli } from './cli/index';

// This file is always bundled to out/main/index.js (shared code goes to out/main/chunks/), so the
// preload (out/preload/) and the renderer (out/renderer/) are found from here, in a checkout and in app.asar.
const outDir = path.join(__dirname, '..');

// A packaged app keeps what containers, bash and pip must read as plain files beside app.asar
// (electron-builder.yml extraResources): point the core at them.
if (app.isPackaged) {
  const res = process.resourcesPath;
  process.env.AGENTDESK_RESOURCES_DIR ??= res;
  process.env.AGENTDESK_RUNTIME_DIR ??= path.join(res, 'agent-runtime');
  process.env.AGENTDESK_EGRESS_HELPER_DIR ??= path.join(res, 'egress-helper');
  process.env.AGENTDESK_IMAGE_RECIPE_DIR ??= path.join(res, 'images');
  process.env.AGENTDESK_HARNESSES_DIR ??= path.join(res, 'harnesses');
}

// `<app> serve|status|agents|…` runs the CLI (headless parity in a packaged install, where the
// RunAsNode fuse is off); anything else opens the desktop app.
const args = process.argv.slice(app.isPackaged ? 1 : 2);
if (args[0] && CLI_COMMANDS.has(args[0])) {
  app.dock?.hide();
  void runCli(['node', 'agentdesk', ...args]).then(() => {
    if (args[0] !== 'serve') app.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
  });
} else
  void runDesktop({
    startCore,
    preloadPath: path.join(outDir, 'preload', 'index.js'),
    rendererDir: path.join(outDir, 'renderer'),
    background: (core, win) =>
      startBackground(core, win, {
        app,
        argv: process.argv,
        openedAtLogin: process.platform === 'darwin' && app.getLoginItemSettings().wasOpenedAtLogin,
        launchCommand: launchCommand({
          isPackaged: app.isPackaged,
          execPath: process.execPath,
          appPath: app.getAppPath(),
          env: process.env,
        }),
        applyLoginItemAtStart: app.isPackaged,
      }),
  });
