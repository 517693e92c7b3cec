// Provisions LiteLLM into the data dir: finds Python 3.10+, makes a venv, pip-installs the hashed lock
// (from the offline wheelhouse shipped with the app when there is one), verifies, and reports progress.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { IDLE_PROVISION } from '../../../../contract/setup';
import type { ProvisionProgress } from '../../../../contract/setup';
import type { Logger } from '../../../platform/logging';
import { LineSplitter, RingBuffer } from '../../../platform/output-lines';
import { killProcessGroup, run, spawnGroupLeader } from '../../../platform/spawn';
import { venvVersion } from './command';

/** Name of the file written into a venv once provisioning finished and was verified. */
export const PROVISIONED_MARKER = '.agentdesk-provisioned';

/**
 * How many distributions the lock installs into an empty venv (counted with `pip freeze` after
 * `pip install --require-hashes -r resources/litellm/requirements.txt` on Debian 12, Python 3.11).
 * Only used to scale the progress bar when installing from the index; with a wheelhouse the number of
 * wheels in it is used instead.
 */
export const EXPECTED_INDEX_PACKAGES = 120;

/** Where to provision and from what. */
export interface ProvisionOptions {
  /** The venv to make, e.g. `<data>/litellm/venv`. It is removed first unless already provisioned. */
  venvDir: string;
  /**
   * The lock (`resources/litellm/requirements.txt`): every package pinned with `==` and its sha256
   * hashes. pip runs with `--require-hashes`, so a file without them, or a download or wheel that does
   * not match them, fails the install.
   */
  requirementsFile: string;
  /** A folder of wheels; when it exists pip runs with `--no-index --find-links` (no network). */
  wheelhouseDir: string | null;
  /** Python commands to try, in order (default: `python3`, `python`; `py -3` on Windows). */
  pythonCandidates?: string[][];
  /** The core's environment: Python and pip get a minimal copy of it without secrets. */
  parentEnv: Readonly<NodeJS.ProcessEnv>;
  /** Environment for Python and pip instead of that copy (tests). */
  env?: NodeJS.ProcessEnv;
  onProgress: (p: ProvisionProgress) => void;
  log: Logger;
}

const IDLE = IDLE_PROVISION;

/** `bin/` on POSIX, `Scripts/` on Windows. */
function venvBin(venvDir: string, name: string): string {
  return process.platform === 'win32'
    ? path.join(venvDir, 'Scripts', `${name}.exe`)
    : path.join(venvDir, 'bin', name);
}

/** Keeps what Python and pip need (PATH, HOME, locale, proxies, pip's own settings); drops everything else. */
function pipEnv(parent: Readonly<NodeJS.ProcessEnv>): NodeJS.ProcessEnv {
  const keep =
    /^(PATH|HOME|USER|LANG|LC_\w+|TMPDIR|TEMP|TMP|SYSTEMROOT|APPDATA|LOCALAPPDATA|PIP_\w+|(HTTPS?|NO|ALL)_PROXY)$/i;
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(parent)) if (keep.test(k)) env[k] = v;
  env.PIP_NO_INPUT = '1';
  env.PIP_DISABLE_PIP_VERSION_CHECK = '1';
  env.PYTHONUNBUFFERED = '1';
  return env;
}

function sha256(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** A failure with the message shown to the user (what happened and what to do). */
class ProvisionError extends Error {}

/**
 * Runs LiteLLM provisioning, one at a time, and keeps its progress for late readers.
 * `start()` returns at once; progress goes to `onProgress` (throttled by step and whole percent).
 */
export class LitellmProvisioner {
  private state: ProvisionProgress = IDLE;
  private running: Promise<void> | null = null;
  private child: ChildProcess | null = null;
  private cancelled = false;
  private readonly tail = new RingBuffer<string>(20);

  constructor(private readonly opts: ProvisionOptions) {}

  /** The last progress (`idle` before the first run). */
  progress(): ProvisionProgress {
    return this.state;
  }

  /** True when `venvDir` holds a verified install made for the current requirements file. */
  isProvisioned(): boolean {
    try {
      const marker = JSON.parse(
        fs.readFileSync(path.join(this.opts.venvDir, PROVISIONED_MARKER), 'utf8'),
      ) as { requirements_sha256?: string };
      return (
        marker.requirements_sha256 === sha256(this.opts.requirementsFile) &&
        fs.existsSync(venvBin(this.opts.venvDir, 'litellm'))
      );
    } catch {
      return false;
    }
  }

  /**
   * Starts provisioning unless it is running (then it answers the running state).
   * @returns the progress right after starting.
   */
  start(): ProvisionProgress {
    if (!this.running) {
      this.cancelled = false;
      this.tail.clear();
      this.running = this.execute().finally(() => {
        this.running = null;
        this.child = null;
      });
    }
    return this.state;
  }

  /** Resolves when the current run (if any) has ended. */
  async settled(): Promise<void> {
    await this.running;
  }

  /** Stops a running install (kills pip) and removes the half-made venv. */
  async cancel(): Promise<void> {
    this.cancelled = true;
    if (this.child?.pid) killProcessGroup(this.child.pid, 'SIGKILL');
    await this.running;
  }

  private set(patch: Partial<ProvisionProgress>): void {
    const next = { ...this.state, ...patch, log_tail: this.tail.toArray() };
    const changed =
      next.state !== this.state.state ||
      next.step !== this.state.step ||
      Math.floor(next.percent) !== Math.floor(this.state.percent) ||
      next.message !== this.state.message;
    this.state = next;
    if (changed) this.opts.onProgress(next);
  }

  private async execute(): Promise<void> {
    const { venvDir } = this.opts;
    const wheelhouse =
      this.opts.wheelhouseDir && fs.existsSync(this.opts.wheelhouseDir) ? this.opts.wheelhouseDir : null;
    this.state = { ...IDLE, state: 'running', source: wheelhouse ? 'wheelhouse' : 'index' };
    try {
      if (!fs.existsSync(this.opts.requirementsFile))
        throw new ProvisionError(
          `The LiteLLM requirements file ${this.opts.requirementsFile} is missing: the installation is damaged; reinstall Agent Desk.`,
        );
      if (this.isProvisioned()) {
        this.set({ state: 'done', step: 'verify', percent: 100, message: this.doneMessage() });
        return;
      }
      this.set({ step: 'python', percent: 1, message: 'Looking for Python 3.10 or newer' });
      const python = await this.findPython();
      this.set({ step: 'venv', percent: 3, message: `Creating a virtual environment with ${python.label}` });
      fs.rmSync(venvDir, { recursive: true, force: true });
      fs.mkdirSync(path.dirname(venvDir), { recursive: true });
      await this.runStep(python.argv[0]!, [...python.argv.slice(1), '-m', 'venv', venvDir], venvFailure);
      await this.install(wheelhouse);
      this.set({ step: 'verify', percent: 97, message: 'Checking the installation' });
      const version = venvVersion(venvBin(venvDir, 'litellm'));
      if (!fs.existsSync(venvBin(venvDir, 'litellm')) || !version)
        throw new ProvisionError(
          'pip finished but the venv has no `litellm` command: the requirements file does not install LiteLLM.',
        );
      fs.writeFileSync(
        path.join(venvDir, PROVISIONED_MARKER),
        JSON.stringify({
          requirements_sha256: sha256(this.opts.requirementsFile),
          version,
          source: wheelhouse ? 'wheelhouse' : 'index',
          provisioned_at: new Date().toISOString(),
        }),
      );
      this.set({ state: 'done', percent: 100, message: this.doneMessage() });
      this.opts.log.info({ venv: venvDir, version }, 'LiteLLM provisioned');
    } catch (err) {
      fs.rmSync(venvDir, { recursive: true, force: true });
      const message = this.cancelled
        ? 'Installation cancelled.'
        : err instanceof ProvisionError
          ? err.message
          : `LiteLLM could not be installed: ${(err as Error).message}`;
      this.opts.log.warn({ err: message, tail: this.tail.toArray() }, 'LiteLLM provisioning failed');
      this.set({ state: 'failed', message: 'Installation failed', error: message });
    }
  }

  private doneMessage(): string {
    const version = venvVersion(venvBin(this.opts.venvDir, 'litellm'));
    return `LiteLLM ${version ?? ''} installed in ${this.opts.venvDir}`.replace('  ', ' ');
  }

  private async findPython(): Promise<{ argv: string[]; label: string }> {
    const candidates =
      this.opts.pythonCandidates ??
      (process.platform === 'win32' ? [['py', '-3'], ['python']] : [['python3'], ['python']]);
    const seen: string[] = [];
    for (const argv of candidates) {
      try {
        const { stdout } = await run(
          argv[0]!,
          [...argv.slice(1), '-c', 'import sys; print("%d.%d" % sys.version_info[:2])'],
          { env: this.opts.env ?? pipEnv(this.opts.parentEnv), timeoutMs: 15_000 },
        );
        const [major, minor] = stdout.trim().split('.').map(Number) as [number, number];
        if (major === 3 && minor >= 10) return { argv, label: `Python ${major}.${minor}` };
        seen.push(`${argv.join(' ')} is Python ${stdout.trim()}`);
      } catch {
        /* not installed under this name */
      }
    }
    const found = seen.length ? ` (found: ${seen.join('; ')})` : '';
    throw new ProvisionError(`Python 3.10 or newer is needed to install LiteLLM${found}. ${pythonHint()}`);
  }

  private async install(wheelhouse: string | null): Promise<void> {
    const total = wheelhouse
      ? Math.max(1, fs.readdirSync(wheelhouse).filter((f) => f.endsWith('.whl')).length)
      : EXPECTED_INDEX_PACKAGES;
    const args = [
      '-m',
      'pip',
      'install',
      '--progress-bar',
      'off',
      '--require-hashes',
      '-r',
      this.opts.requirementsFile,
    ];
    if (wheelhouse) args.push('--no-index', '--find-links', wheelhouse);
    this.set({
      step: 'install',
      percent: 5,
      message: wheelhouse ? 'Installing LiteLLM from the bundled wheels' : 'Downloading LiteLLM from PyPI',
    });
    let collected = 0;
    await this.runStep(venvBin(this.opts.venvDir, 'python'), args, pipFailure, (line) => {
      if (/^(Collecting|Processing) /.test(line)) {
        collected += 1;
        const name = /^(?:Collecting|Processing) (\S+)/.exec(line)?.[1] ?? '';
        this.set({
          percent: 5 + 75 * Math.min(collected / total, 1),
          message: `Fetching packages (${collected}): ${path.basename(name)}`,
        });
      } else if (line.startsWith('Installing collected packages:')) {
        const count = line.slice('Installing collected packages:'.length).split(',').length;
        this.set({ percent: 85, message: `Installing ${count} packages` });
      } else if (line.startsWith('Successfully installed')) {
        this.set({ percent: 95, message: 'Installed' });
      }
    });
  }

  /** Runs one command, streaming its lines into the tail (and `onLine`); failures become ProvisionErrors. */
  private async runStep(
    command: string,
    args: string[],
    explain: (output: string) => string,
    onLine: (line: string) => void = () => {},
  ): Promise<void> {
    if (this.cancelled) throw new ProvisionError('Installation cancelled.');
    const child = await spawnGroupLeader(command, args, {
      env: this.opts.env ?? pipEnv(this.opts.parentEnv),
    });
    this.child = child;
    let output = '';
    const splitter = new LineSplitter((line) => {
      this.tail.push(line);
      output = (output + line + '\n').slice(-8000);
      onLine(line);
    });
    child.stdout!.setEncoding('utf8').on('data', (c: string) => splitter.push(c));
    child.stderr!.setEncoding('utf8').on('data', (c: string) => splitter.push(c));
    const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
    splitter.end();
    if (code !== 0) {
      if (this.cancelled) throw new ProvisionError('Installation cancelled.');
      throw new ProvisionError(explain(output));
    }
  }
}

function pythonHint(): string {
  if (process.platform === 'darwin')
    return 'Install it from https://www.python.org/downloads/ or with `brew install python`, then try again.';
  if (process.platform === 'win32')
    return 'Install it from https://www.python.org/downloads/ (tick "Add python.exe to PATH"), then try again.';
  return 'Install it with your package manager (Debian/Ubuntu: `sudo apt install python3 python3-venv`; Fedora: `sudo dnf install python3`), then try again.';
}

function venvFailure(output: string): string {
  if (/ensurepip is not available|No module named venv/i.test(output))
    return "Python's venv module is missing. Debian/Ubuntu: `sudo apt install python3-venv`, then try again.";
  return `Creating the virtual environment failed: ${lastMeaningful(output)}`;
}

function pipFailure(output: string): string {
  if (/DO NOT MATCH THE HASHES/i.test(output)) {
    const pkg = /^\s*(\S+==\S+) from /m.exec(output)?.[1] ?? /^\s*(\S+) from /m.exec(output)?.[1];
    return `A downloaded package does not match the hash in the LiteLLM lock${pkg ? ` (${pkg})` : ''}: the download or the bundled wheels were altered or damaged, so nothing was installed. Try again on another network; if it persists, reinstall Agent Desk.`;
  }
  if (
    /Hashes are required in --require-hashes mode|In --require-hashes mode, all requirements must have their versions pinned/i.test(
      output,
    )
  )
    return `The LiteLLM requirements file is not a complete hashed lock (${lastMeaningful(output)}): the installation is damaged; reinstall Agent Desk.`;
  if (/No matching distribution found|Could not find a version/i.test(output))
    return `A package was not found: ${lastMeaningful(output)}. Without a network connection, install from an Agent Desk build that bundles the LiteLLM wheels, or point Settings → LiteLLM command at an existing litellm.`;
  if (
    /Temporary failure in name resolution|Failed to establish a new connection|Network is unreachable/i.test(
      output,
    )
  )
    return 'PyPI could not be reached. Connect to the network and try again, or point Settings → LiteLLM command at an existing litellm.';
  if (/No space left on device/i.test(output)) return 'The disk is full: free some space and try again.';
  return `pip failed: ${lastMeaningful(output)}`;
}

function lastMeaningful(output: string): string {
  const lines = output
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const error = [...lines].reverse().find((l) => /^ERROR|Error:/.test(l));
  return (error ?? lines[lines.length - 1] ?? 'no output').slice(0, 300);
}
