// The agent folder and its env file: mode 0600, values read back verbatim by POSIX sh.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { agentFolder, makeAgentFolder, removeAgentFolder, writeEnvFile } from './agent-folder';

let dir: string;
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('agent folder', () => {
  it('creates home/workspace, .agentdesk and trace; removes it all; a second removal reports nothing', () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-folder-'));
    const f = agentFolder(dir, 'a1');
    makeAgentFolder(f);
    for (const p of [f.workspace, f.dotdir, f.trace]) expect(fs.statSync(p).isDirectory()).toBe(true);
    expect(fs.statSync(f.root).mode & 0o777).toBe(0o700);
    expect(removeAgentFolder(f)).toBe(true);
    expect(fs.existsSync(f.root)).toBe(false);
    expect(removeAgentFolder(f)).toBe(false);
  });

  it('writes the env file 0600 and sh reads every value back exactly', () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-folder-'));
    const file = path.join(dir, 'env');
    const env = { A: 'it\'s $HOME `x` "q" \\ ;', B: '', C: 'sk-agentdesk-abc' };
    writeEnvFile(file, env);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const out = execFileSync('sh', ['-c', `set -a; . "${file}"; printf '%s\\n%s\\n%s' "$A" "$B" "$C"`], {
      encoding: 'utf8',
    });
    expect(out).toBe(`${env.A}\n\n${env.C}`);
  });

  it('refuses a name that is not a shell identifier and a value with a newline', () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-folder-'));
    expect(() => writeEnvFile(path.join(dir, 'env'), { 'A-B': 'x' })).toThrow(/not a shell identifier/);
    expect(() => writeEnvFile(path.join(dir, 'env'), { A: 'x\ny' })).toThrow(/newline/);
  });
});
