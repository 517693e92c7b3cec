// Attacker's side: a control-API token holder names `images.export` / `images.import` paths to overwrite or read files the core can reach — real serve child, real tar, the real cached rootfs.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { imageCacheDir } from '../../../test/base-image';
import { buildChildCore, startChildCore } from '../../../test/faults/child-core';
import type { ChildCore } from '../../../test/faults/child-core';
import { skipUnlessReal } from '../../../test/real';
import { BASE_IMAGE_VERSION } from './image-manifest';

const cachedRootfs = path.join(imageCacheDir(), `agent-base-${BASE_IMAGE_VERSION}`, 'rootfs.tar');
const skip = skipUnlessReal(
  fs.existsSync(cachedRootfs) && typeof process.getuid === 'function' && process.getuid() === 0,
  `the cached base rootfs (${cachedRootfs}; built by the base image tests) and root (to chown a folder)`,
);

type Envelope<T = unknown> = { ok: boolean; value?: T; error?: { code: string; message: string } };

describe.skipIf(skip)('images.export and images.import never touch a file the caller points them at', () => {
  let sandbox: string;
  let home: string;
  let core: ChildCore;
  let removeBundle = () => {};
  /** The file an attacker wants overwritten (standing for /etc/shadow) and its content. */
  let victim: string;
  const VICTIM = `root:$6$${crypto.randomBytes(12).toString('hex')}:19000:0:99999:7:::\n`;
  /** A tar only root may read, whose member names are secret: what an import must not list back. */
  let secretTar: string;
  const SECRET_MEMBER = `payroll-${crypto.randomBytes(6).toString('hex')}.csv`;

  const call = async <T>(method: 'export' | 'import', input: unknown) =>
    (await core.call('images', method, input)) as Envelope<T>;
  const exportTo = (file: string) => call<{ file: string; bytes: number }>('export', { file });
  const importFrom = (file: string) => call('import', { file, runtimes: ['docker'] });
  /** The victim still holds what it held (its size first: a clobbered one holds a 300 MB tar). */
  const victimIntact = () => {
    const size = fs.statSync(victim).size;
    expect(size, `the victim now holds ${size} bytes`).toBe(Buffer.byteLength(VICTIM));
    expect(fs.readFileSync(victim, 'utf8')).toBe(VICTIM);
  };
  const dir = (name: string, mode: number) => {
    const d = path.join(sandbox, name);
    fs.mkdirSync(d, { recursive: true });
    fs.chmodSync(d, mode);
    return d;
  };

  beforeAll(async () => {
    const bundle = await buildChildCore();
    removeBundle = bundle.remove;
    sandbox = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-imagefile-'));
    fs.mkdirSync(path.join(sandbox, 'etc'), { mode: 0o755 });
    victim = path.join(sandbox, 'etc', 'shadow');
    fs.writeFileSync(victim, VICTIM, { mode: 0o600 });
    const secretDir = dir('secret', 0o700);
    fs.writeFileSync(path.join(secretDir, SECRET_MEMBER), 'salary');
    secretTar = path.join(secretDir, 'backup.tar');
    execFileSync('tar', ['-cf', secretTar, '-C', secretDir, SECRET_MEMBER]);
    fs.chmodSync(secretTar, 0o600);
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-imagefile-home-'));
    core = await startChildCore(bundle.entry, home, { AGENTDESK_IMAGE_CACHE: imageCacheDir() });
  }, 180_000);

  beforeEach(() => {
    fs.writeFileSync(victim, VICTIM, { mode: 0o600 }); // whatever an earlier test did to it
  });

  afterAll(async () => {
    if (core) {
      core.kill();
      await core.exited;
    }
    removeBundle();
    if (sandbox) fs.rmSync(sandbox, { recursive: true, force: true });
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  it('export onto an existing file (the victim itself) is refused and the file is left as it was', async () => {
    const r = await exportTo(victim);
    victimIntact();
    expect(r.error?.code, JSON.stringify(r)).toBe('INVALID_INPUT');
    expect(r.error?.message).toContain('already exists');
    expect(r.error?.message).toContain('never replaces a file');
  });

  it('export onto a planted link is refused: the link stays, the victim is untouched', async () => {
    const out = dir('out-link', 0o700);
    const link = path.join(out, 'image.tar');
    fs.symlinkSync(victim, link);
    const r = await exportTo(link);
    victimIntact();
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    expect(r.error?.code, JSON.stringify(r)).toBe('INVALID_INPUT');
    expect(r.error?.message).toContain('a symbolic link with that name already exists');
  });

  it('a link planted at "<file>.part" is never written through; the export itself is a new 0644 tar', async () => {
    const out = dir('out-part', 0o700);
    const file = path.join(out, 'image.tar');
    fs.symlinkSync(victim, `${file}.part`);
    const r = await exportTo(file);
    victimIntact();
    expect(r.ok, JSON.stringify(r)).toBe(true);
    expect(r.value?.bytes).toBe(fs.statSync(file).size);
    expect(r.value!.bytes).toBeGreaterThan(fs.statSync(cachedRootfs).size);
    // 0644 as created, less the umask the core inherited from this process (Linux: /proc/self/status).
    const umask = parseInt(/^Umask:\s*(\d+)/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))![1]!, 8);
    expect(fs.statSync(file).mode & 0o777).toBe(0o644 & ~umask);
    const members = execFileSync('tar', ['-tf', file], { encoding: 'utf8' }).trim().split('\n');
    expect(members).toEqual(['manifest.json', 'rootfs.tar', 'metadata.tar.gz']);
    fs.rmSync(file);
  });

  const folders: [string, () => string, string][] = [
    [
      'a folder others can write (0777)',
      () => dir('shared', 0o777),
      'can be written by other users (mode 0777)',
    ],
    ['a folder others can write even with the sticky bit (1777)', () => dir('sticky', 0o1777), 'mode 1777'],
    [
      'a folder its group can write (0770)',
      () => dir('group', 0o770),
      'can be written by its group (mode 0770)',
    ],
    [
      'a folder owned by another user',
      () => {
        const d = dir('alien', 0o755);
        fs.chownSync(d, 4242, 4242);
        return d;
      },
      'belongs to uid 4242',
    ],
    [
      'a folder below one others can write without the sticky bit',
      () => {
        dir('open', 0o777);
        return dir('open/mine', 0o700);
      },
      'above it can be written by other users and has no sticky bit',
    ],
  ];
  for (const [name, make, why] of folders)
    it(`export into ${name} is refused, naming the folder and what is valid; nothing is created`, async () => {
      const d = make();
      const file = path.join(d, 'image.tar');
      const r = await exportTo(file);
      expect(fs.existsSync(file)).toBe(false);
      expect(r.error?.code, JSON.stringify(r)).toBe('INVALID_INPUT');
      expect(r.error?.message).toContain(why);
      expect(r.error?.message).toContain('a folder that only you (or root) can write');
    });

  it('import through a link to a file the caller cannot read is refused without reading it', async () => {
    const mine = dir('mine', 0o700);
    const link = path.join(mine, 'image.tar');
    fs.symlinkSync(secretTar, link);
    const r = await importFrom(link);
    expect(r.error?.code, JSON.stringify(r)).toBe('INVALID_INPUT');
    expect(r.error?.message).toContain('is a symbolic link');
    expect(r.error?.message).not.toContain(SECRET_MEMBER); // before: "it holds payroll-….csv"
  });

  it('import of a hard link to such a file is refused too', async () => {
    const hard = path.join(dir('mine', 0o700), 'hard.tar');
    fs.linkSync(secretTar, hard);
    const r = await importFrom(hard);
    expect(r.error?.code, JSON.stringify(r)).toBe('INVALID_INPUT');
    expect(r.error?.message).toContain('hard links');
    expect(r.error?.message).not.toContain(SECRET_MEMBER);
  });

  it('import of a FIFO, a device or a folder is refused, naming what it is', async () => {
    const fifo = path.join(dir('mine', 0o700), 'pipe.tar');
    execFileSync('mkfifo', [fifo]);
    const cases: [string, string][] = [
      [fifo, 'a named pipe (FIFO)'],
      ['/dev/zero', 'a character device'],
      [sandbox, 'a folder'],
    ];
    for (const [file, what] of cases) {
      const r = await importFrom(file);
      expect(r.error?.code, `${file}: ${JSON.stringify(r)}`).toBe('INVALID_INPUT');
      expect(r.error?.message).toContain(`is ${what}, not a regular file`);
    }
  });
});
