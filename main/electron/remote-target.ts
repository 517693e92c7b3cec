// The remote core the desktop last attached to with --remote, remembered in this machine's data dir (never its token), and the flags that reattach to it.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { parseRemote } from '../cli/remote';
import type { RemoteTarget } from '../cli/remote';
import { ensurePrivateDataDir } from '../platform/data-dir';
import { privacyProblem } from '../platform/private-folder';
import { writeFileNoFollow } from '../services/agents/safe-fs';
import { HIDDEN_FLAG } from './background';

/** File name of the remembered target in the data dir (`<data>/remote-core.json`). */
export const REMEMBERED_TARGET_FILE = 'remote-core.json';

/** The flag that forgets the remembered target and opens this computer's core. */
export const LOCAL_FLAG = '--local';

/**
 * Contents of `remote-core.json`: the `--remote` flags as given, re-read through `parseRemote` (so a
 * remembered target is checked exactly like one typed on the command line). Strict: a field it does
 * not know (a `token`, say) makes the file refused — the access token lives only in the token file,
 * whose path is kept, or comes over SSH at each attach.
 */
const Remembered = z
  .object({
    version: z.literal(1),
    /** `ssh://user@host[:port]` or `https://host:port`. */
    remote: z.string().min(1),
    fingerprint: z.string().optional(),
    token_file: z.string().optional(),
    remote_command: z.string().optional(),
    remote_home: z.string().optional(),
  })
  .strict();

/** A remembered target that cannot be trusted or read; the message names the file and the fix. */
export class RememberedTargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RememberedTargetError';
  }
}

/** Path of the remembered target in the data dir `home`. */
export function rememberedTargetFile(home: string): string {
  return path.join(home, REMEMBERED_TARGET_FILE);
}

/** The `--remote` URL of `target`: `ssh://user@host[:port]` (user percent-encoded, IPv6 in brackets) or its https URL. */
function remoteUrl(target: RemoteTarget): string {
  if (target.kind === 'tls') return target.url;
  const d = target.destination;
  const host = d.host.includes(':') ? `[${d.host}]` : d.host;
  return `ssh://${encodeURIComponent(d.user)}@${host}${d.port === 22 ? '' : `:${d.port}`}`;
}

/** What {@link Remembered} holds for `target`. */
function toRecord(target: RemoteTarget): z.infer<typeof Remembered> {
  if (target.kind === 'tls')
    return {
      version: 1,
      remote: target.url,
      fingerprint: target.fingerprint,
      token_file: target.tokenFile,
    };
  return {
    version: 1,
    remote: remoteUrl(target),
    ...(target.command.join(' ') !== 'agentdesk' ? { remote_command: target.command.join(' ') } : {}),
    ...(target.home !== null ? { remote_home: target.home } : {}),
  };
}

/**
 * The command-line flags that attach the desktop to `target` again, one word per option
 * (`--remote=<url>`, `--fingerprint=…`, `--token-file=<path>`, `--remote-command=…`, `--remote-home=…`):
 * a value is never a word of its own, so one that looks like a flag (`--hidden`, `--local`) stays the
 * value. Login items append these to the launch command (login-item.ts `launchCommand`).
 * `cli/index.ts` `remoteOf` reads them back to the same target.
 */
export function remoteArgs(target: RemoteTarget): string[] {
  const r = toRecord(target);
  return [
    `--remote=${r.remote}`,
    ...(r.fingerprint !== undefined ? [`--fingerprint=${r.fingerprint}`] : []),
    ...(r.token_file !== undefined ? [`--token-file=${r.token_file}`] : []),
    ...(r.remote_command !== undefined ? [`--remote-command=${r.remote_command}`] : []),
    ...(r.remote_home !== undefined ? [`--remote-home=${r.remote_home}`] : []),
  ];
}

/**
 * Remembers `target` in `<home>/remote-core.json`: mode 0600, written atomically (exclusive temporary
 * file that follows no link, then rename, which replaces a link itself). Holds the URL, the fingerprint
 * and the token file's PATH for TLS, the server command and data dir for SSH — never a token.
 * The data dir is made private (0700) first.
 * @throws DataDirNotPrivateError; UnsafePathError; file system errors.
 */
export function rememberTarget(home: string, target: RemoteTarget): void {
  ensurePrivateDataDir(home);
  writeFileNoFollow(
    home,
    rememberedTargetFile(home),
    JSON.stringify(toRecord(target), null, 2) + '\n',
    0o600,
  );
}

/** Forgets the remembered target (a link is removed itself). Nothing to forget is not an error. */
export function forgetTarget(home: string): void {
  fs.rmSync(rememberedTargetFile(home), { force: true });
}

/**
 * Reads the remembered target of the data dir `home`.
 * Refused (not trusted): a file that is a link, not a regular file, owned by another user, or writable
 * or readable by others (whoever can write it chooses which server this desktop talks to and which token
 * file it reads); a file that is not the JSON {@link Remembered} describes; a target `parseRemote` refuses.
 * @returns `null` when there is none.
 * @throws RememberedTargetError naming the file, what is wrong and the fix (`--local` forgets it, or
 *   `--remote …` replaces it).
 */
export function readRememberedTarget(home: string, uid?: number): RememberedTarget | null {
  const file = rememberedTargetFile(home);
  const fix = `Start Agent Desk once with --local (this computer's core) or --remote … (a core elsewhere) to replace it, or delete ${file}.`;
  let problem: string | null;
  try {
    problem = privacyProblem(file, 'file', 'choose which server this desktop attaches to', uid);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new RememberedTargetError(`Cannot read ${file}: ${(err as Error).message}. ${fix}`);
  }
  if (problem)
    throw new RememberedTargetError(`The remembered remote core is not trusted: ${problem} ${fix}`);
  let text: string;
  try {
    // O_NOFOLLOW: a link swapped in after the check above is refused too (ELOOP).
    const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    try {
      text = fs.readFileSync(fd, 'utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch (err) {
    throw new RememberedTargetError(`Cannot read ${file}: ${(err as Error).message}. ${fix}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new RememberedTargetError(`${file} is not JSON. ${fix}`);
  }
  const parsed = Remembered.safeParse(json);
  if (!parsed.success)
    throw new RememberedTargetError(
      `${file} is not a remembered remote core (${parsed.error.issues
        .map((i) => `${i.path.join('.') || 'file'}: ${i.message}`)
        .join('; ')}). ${fix}`,
    );
  const r = parsed.data;
  try {
    return {
      target: parseRemote(r.remote, {
        fingerprint: r.fingerprint,
        tokenFile: r.token_file,
        remoteCommand: r.remote_command,
        remoteHome: r.remote_home,
      }),
      file,
    };
  } catch (err) {
    throw new RememberedTargetError(`${file}: ${(err as Error).message}. ${fix}`);
  }
}

/** A target read back from the data dir, and the file it came from. */
export interface RememberedTarget {
  target: RemoteTarget;
  file: string;
}

/** Which core the desktop opens at this launch, and why. */
export type DesktopChoice =
  { kind: 'local'; forgot: boolean } | { kind: 'remote'; target: RemoteTarget; from: 'argv' | 'remembered' };

/**
 * Decides which core the desktop opens (the rule of decision 022):
 * - `--remote …` given (`fromArgv`): that core, remembered for the next launches;
 * - `--local` given: this computer's core, and the remembered target is forgotten;
 * - neither: the remembered target when there is one (a launch from the app menu, or a macOS login
 *   item, which carries no arguments), else this computer's core.
 * @param args the app's arguments (without the executable and app path).
 * @param fromArgv `remoteOf(args)`, already parsed (its errors are the caller's).
 * @throws Error when both `--remote` and `--local` are given; RememberedTargetError (see
 *   {@link readRememberedTarget}); errors of {@link rememberTarget}.
 */
export function chooseDesktopCore(
  home: string,
  args: readonly string[],
  fromArgv: RemoteTarget | null,
): DesktopChoice {
  const local = args.includes(LOCAL_FLAG);
  if (local && fromArgv)
    throw new Error(
      `Give either --remote (a core elsewhere) or ${LOCAL_FLAG} (this computer's core), not both.`,
    );
  if (fromArgv) {
    rememberTarget(home, fromArgv);
    return { kind: 'remote', target: fromArgv, from: 'argv' };
  }
  if (local) {
    forgetTarget(home);
    return { kind: 'local', forgot: true };
  }
  const remembered = readRememberedTarget(home);
  return remembered
    ? { kind: 'remote', target: remembered.target, from: 'remembered' }
    : { kind: 'local', forgot: false };
}

/** Options that name a remote core (each takes a value: the next word, or `--opt=value`). */
const REMOTE_OPTIONS: ReadonlySet<string> = new Set([
  '--remote',
  '--fingerprint',
  '--token-file',
  '--remote-command',
  '--remote-home',
]);

/**
 * The arguments that relaunch this app on this computer's core: `args` (the app's own, without the
 * executable: `process.argv.slice(1)`, Electron's `app.relaunch` default) without the remote options
 * and their values, without `--hidden` (the user asked from the tray: the window opens), plus
 * {@link LOCAL_FLAG}, which forgets the remembered target.
 */
export function localRelaunchArgs(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (REMOTE_OPTIONS.has(a)) {
      i++; // its value
      continue;
    }
    const eq = a.indexOf('=');
    if (eq > 0 && REMOTE_OPTIONS.has(a.slice(0, eq))) continue;
    if (a === HIDDEN_FLAG || a === LOCAL_FLAG) continue;
    out.push(a);
  }
  return [...out, LOCAL_FLAG];
}
