// Electron entry: lifecycle only — the desktop shell around the same core that `agentdesk serve` runs.
import path from 'node:path';
import { app } from 'electron';
import { startCore } from './app/bootstrap';
import type { Core } from './app/bootstrap';
import { startBackground } from './electron/desktop-shell';
import type { BackgroundOptions, BackgroundShell, WindowControls } from './electron/desktop-shell';
import { runDesktop } from './electron/lifecycle';
import { autostartDir, launchCommand } from './electron/login-item';
import { CLI_COMMANDS, commandOf, remoteOf, runCli } from './cli/index';
import type { RemoteTarget } from './cli/remote';
import { attachDesktopCore } from './electron/remote-core';
import type { RemoteDesktopCore } from './electron/remote-core';
import { startRemoteBackgroundCore } from './electron/remote-background';
import { chooseDesktopCore, localRelaunchArgs, remoteArgs } from './electron/remote-target';
import { resolveOptions } from './platform/paths';

// This file is always bundled to out/main/index.js (shared code goes to out/main/chunks/), so the
// preload (out/preload/) and the renderer (out/renderer/) are found from here, in a checkout and in app.asar.
const outDir = path.join(__dirname, '..');

// The core's paths and settings, resolved once. A packaged app keeps what containers, bash and pip
// must read as plain files beside app.asar (electron-builder.yml extraResources): the core is pointed
// at them (a variable set in the environment still wins).
const options = resolveOptions(
  process.env,
  app.isPackaged ? { resources: process.resourcesPath } : undefined,
);

// `<app> [--remote …] serve|status|agents|…` runs the CLI (headless parity in a packaged install, where
// the RunAsNode fuse is off); anything else opens the desktop app — on this computer's core, or with
// `--remote ssh://user@host` / `--remote https://host:port --fingerprint … --token-file …` on that one,
// remembered for the next launches until `--local` (electron/remote-target.ts, decision 022). The tray,
// notifications and start at login follow whichever core the window shows.
const args = process.argv.slice(app.isPackaged ? 1 : 2);
const command = commandOf(args);
let remote: RemoteTarget | null = null;
let badRemote = false;
try {
  remote = command ? null : remoteOf(args);
} catch (err) {
  console.error(`agentdesk: ${(err as Error).message}`);
  badRemote = true;
}

/** The remote core a started desktop attached to (set by `startCore` below), for the login item. */
let attached: RemoteTarget | null = null;
const isRemote = (core: Core | RemoteDesktopCore): core is RemoteDesktopCore => 'onStream' in core;

/** The background options shared by this computer's core and a remote one; `target`: the remote one. */
function backgroundOptions(target: RemoteTarget | null): BackgroundOptions {
  return {
    app,
    argv: process.argv,
    openedAtLogin: process.platform === 'darwin' && app.getLoginItemSettings().wasOpenedAtLogin,
    launchCommand: launchCommand({
      isPackaged: app.isPackaged,
      execPath: process.execPath,
      appPath: app.getAppPath(),
      env: process.env,
      args: target ? remoteArgs(target) : [],
    }),
    applyLoginItemAtStart: app.isPackaged,
    autostartDir: autostartDir(process.env),
    iconDir: path.join(options.paths.resources, 'icons'),
    useLocalCore: target
      ? () => {
          app.relaunch({ args: localRelaunchArgs(process.argv.slice(1)) });
          app.quit();
        }
      : undefined,
  };
}

/** The tray & co. on a remote core: its lists read through its API and followed on its event stream. */
async function remoteBackground(core: RemoteDesktopCore, win: WindowControls): Promise<BackgroundShell> {
  const bg = await startRemoteBackgroundCore(core);
  const shell = await startBackground(bg, win, backgroundOptions(attached));
  return {
    trayAvailable: shell.trayAvailable,
    startHidden: shell.startHidden,
    keepRunningWithoutWindows: () => shell.keepRunningWithoutWindows(),
    dispose: () => {
      shell.dispose();
      bg.dispose();
    },
  };
}

if (badRemote) app.exit(2);
else if (command && CLI_COMMANDS.has(command)) {
  app.dock?.hide();
  void runCli(['node', 'agentdesk', ...args], options).then(() => {
    if (command !== 'serve') app.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
  });
} else
  void runDesktop<Core | RemoteDesktopCore>({
    startCore: async (o) => {
      const choice = chooseDesktopCore(o.home, args, remote);
      if (choice.kind === 'local') return startCore({ ...o, app: options });
      attached = choice.target;
      try {
        // A server that is down starts the window unreachable and is waited for; a refusal still stops here.
        return await attachDesktopCore(
          choice.target,
          { dataDir: o.home, configFile: options.sshConfigFile, env: options.env },
          undefined,
          undefined,
          { waitIfDown: true },
        );
      } catch (err) {
        if (choice.from !== 'remembered') throw err;
        // The user did not name this core at this launch: say where it came from and the way back.
        throw new Error(
          `${(err as Error).message}\n\nAgent Desk opens the core it was last attached to with --remote. Start it with --local to use this computer's core instead.`,
          { cause: err },
        );
      }
    },
    env: process.env,
    preloadPath: path.join(outDir, 'preload', 'index.js'),
    rendererDir: path.join(outDir, 'renderer'),
    background: (core, win) =>
      isRemote(core) ? remoteBackground(core, win) : startBackground(core, win, backgroundOptions(null)),
  });
