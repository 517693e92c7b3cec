// Finds the `litellm` command: a configured path, the app's venv, the data dir's venv, or PATH.
import fs from 'node:fs';
import path from 'node:path';
import type { ComponentHealth } from '../../../../contract/health';
import { executableProblem } from '../../../platform/trusted-executable';

/** A resolved litellm command, with where it came from and its version when known. */
export interface LitellmCommand {
  command: string;
  source: 'setting' | 'env' | 'app-venv' | 'data-venv' | 'path';
  /** Version read from the venv's `litellm-<version>.dist-info` folder, when there is one. */
  version: string | null;
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * The LiteLLM version installed in the venv that holds `command` (`<venv>/bin/litellm`), read from its
 * `site-packages/litellm-<version>.dist-info` folder. @returns `null` when not a venv layout.
 */
export function venvVersion(command: string): string | null {
  const lib = path.join(path.dirname(path.dirname(command)), 'lib');
  try {
    for (const py of fs.readdirSync(lib)) {
      const site = path.join(lib, py, 'site-packages');
      const dist = fs.existsSync(site)
        ? fs.readdirSync(site).find((d) => /^litellm-[\d.]+.*\.dist-info$/.test(d))
        : undefined;
      if (dist) return dist.slice('litellm-'.length, -'.dist-info'.length);
    }
  } catch {
    /* not a venv layout */
  }
  return null;
}

/**
 * Resolves the litellm command in this order: the `litellm_command` setting, `AGENTDESK_LITELLM`,
 * `<app root>/.venv/litellm/bin/litellm` (made by scripts/bootstrap-linux.sh),
 * `<data>/litellm/venv/bin/litellm` (provisioned by the app: only once its `.agentdesk-provisioned` marker
 * exists), then `litellm` on PATH.
 * A configured path that is not executable is returned anyway (the caller reports it), so a typo
 * is never hidden by a fallback.
 * @returns `null` when nothing is found.
 */
export function resolveLitellmCommand(opts: {
  setting: string | null;
  appRoot: string;
  dataDir: string;
  /** The core's environment (`AGENTDESK_LITELLM`, `PATH`). */
  env: Readonly<NodeJS.ProcessEnv>;
}): LitellmCommand | null {
  const { env } = opts;
  if (opts.setting) return { command: opts.setting, source: 'setting', version: venvVersion(opts.setting) };
  if (env.AGENTDESK_LITELLM)
    return { command: env.AGENTDESK_LITELLM, source: 'env', version: venvVersion(env.AGENTDESK_LITELLM) };
  const appVenv = path.join(opts.appRoot, '.venv', 'litellm', 'bin', 'litellm');
  if (isExecutable(appVenv)) return { command: appVenv, source: 'app-venv', version: venvVersion(appVenv) };
  // Only a venv the app finished provisioning (marker written after verifying), never a half-made one.
  const dataVenv = path.join(opts.dataDir, 'litellm', 'venv', 'bin', 'litellm');
  if (
    isExecutable(dataVenv) &&
    fs.existsSync(path.join(opts.dataDir, 'litellm', 'venv', '.agentdesk-provisioned'))
  )
    return { command: dataVenv, source: 'data-venv', version: venvVersion(dataVenv) };
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, 'litellm');
    if (isExecutable(candidate)) return { command: candidate, source: 'path', version: null };
  }
  return null;
}

/**
 * Health of LiteLLM before the supervisor exists (or while it refuses to start one): installed or not,
 * executable, and safe to run ({@link executableProblem}: owned by this user or root, writable by no
 * one else). Never throws.
 * (Once LiteLLM is supervised, the supervisor's state replaces this.)
 */
export function probeLitellmInstall(opts: {
  setting: string | null;
  appRoot: string;
  dataDir: string;
  env: Readonly<NodeJS.ProcessEnv>;
}): ComponentHealth {
  const found = resolveLitellmCommand(opts);
  if (!found) {
    return {
      name: 'litellm',
      state: 'missing',
      detail: 'LiteLLM is not installed (no app venv, no `litellm` on PATH)',
      fix: 'Install it from Setup ("Install LiteLLM" makes a venv in the data dir), or run `sudo bash scripts/bootstrap-linux.sh` in a checkout, or `pip install "litellm[proxy]"` and set AGENTDESK_LITELLM to its path',
    };
  }
  if (!isExecutable(found.command)) {
    const where = found.source === 'setting' ? 'the LiteLLM command setting' : 'AGENTDESK_LITELLM';
    return {
      name: 'litellm',
      state: 'error',
      detail: `${found.command} (from ${where}) is not an executable file`,
      fix: `Correct ${where}, or clear it to use the app's own venv`,
    };
  }
  const unsafe = executableProblem(found.command);
  if (unsafe) {
    const where = found.source === 'setting' ? 'the LiteLLM command setting' : `its ${found.source} location`;
    return {
      name: 'litellm',
      state: 'error',
      detail: `LiteLLM is not started: refusing to run ${found.command} (from ${where}): ${unsafe.reason}`,
      fix:
        found.source === 'setting'
          ? `${unsafe.fix}; or clear the setting (desktop Settings, or \`agentdesk settings unset litellm_command\` while the core is stopped)`
          : unsafe.fix,
    };
  }
  const version = found.version ? ` ${found.version}` : '';
  return {
    name: 'litellm',
    state: 'ok',
    detail: `LiteLLM${version} installed at ${found.command}; not running yet (it starts when a provider is added)`,
    fix: '',
  };
}
