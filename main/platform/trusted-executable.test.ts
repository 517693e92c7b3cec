// The safe-program rule on real files: owner, modes of the file and its folders, links, and a script's interpreter.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executableProblem } from './trusted-executable';

const isRoot = process.getuid?.() === 0;
const OTHER_UID = 65534;
let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-trusted-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A script in a fresh folder of `dir` (mode 0755 unless given). */
function program(name: string, body = '#!/bin/sh\nexit 0\n', mode = 0o755): string {
  const sub = fs.mkdtempSync(path.join(dir, `${name}-`));
  const file = path.join(sub, name);
  fs.writeFileSync(file, body, { mode });
  fs.chmodSync(file, mode);
  return file;
}

describe('executableProblem', () => {
  it('accepts a private program, a system program and a link to one (in a private folder under sticky /tmp)', () => {
    expect(executableProblem(program('ok'))).toBeNull();
    expect(executableProblem('/bin/sh')).toBeNull();
    const link = path.join(fs.mkdtempSync(path.join(dir, 'link-')), 'litellm');
    fs.symlinkSync(program('target'), link);
    expect(executableProblem(link)).toBeNull();
  });

  it.each([
    ['a relative path', () => 'bin/litellm', /not an absolute path/],
    ['a missing file', () => path.join(dir, 'nope'), /does not exist/],
    ['a folder', () => dir, /not a regular file/],
    ['a file without x bit', () => program('noexec', '#!/bin/sh\n', 0o644), /not executable/],
    ['a world-writable file', () => program('ww', undefined, 0o777), /writable by other users \(mode 0777\)/],
    ['a group-writable file', () => program('gw', undefined, 0o775), /writable by its group \(mode 0775\)/],
    [
      'a file in a world-writable folder without sticky bit',
      () => {
        const f = program('open');
        fs.chmodSync(path.dirname(f), 0o777);
        return f;
      },
      /the folder .* is writable by other users \(mode 0777\)/,
    ],
    [
      'a link to a world-writable file',
      () => {
        const link = path.join(fs.mkdtempSync(path.join(dir, 'link-')), 'litellm');
        fs.symlinkSync(program('wwt', undefined, 0o777), link);
        return link;
      },
      /writable by other users/,
    ],
    [
      'a script whose interpreter is world-writable',
      () => {
        const interp = program('interp', '#!/bin/sh\nexec /bin/sh "$@"\n', 0o777);
        return program('script', `#!${interp}\n`);
      },
      /its interpreter is not safe: .* writable by other users/,
    ],
  ])('refuses %s', (_what, make, reason) => {
    expect(executableProblem(make())?.reason).toMatch(reason);
  });

  it.skipIf(!isRoot)(
    'refuses a file or a folder owned by another user (created as root, given to nobody)',
    () => {
      const file = program('foreign');
      fs.chownSync(file, OTHER_UID, OTHER_UID);
      expect(executableProblem(file)?.reason).toMatch(`belongs to another user (uid ${OTHER_UID})`);
      const inForeign = program('in-foreign');
      fs.chownSync(path.dirname(inForeign), OTHER_UID, OTHER_UID);
      expect(executableProblem(inForeign)?.reason).toMatch(/the folder .* belongs to another user/);
    },
  );

  it('names the fix', () => {
    const file = program('fix', undefined, 0o777);
    expect(executableProblem(file)?.fix).toBe(`Run \`chmod go-w ${file}\``);
  });
});
