// The agent folder: home, config (host-written) and trace; the env file read back verbatim by POSIX sh.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  agentFolder,
  envFileText,
  makeAgentFolder,
  readRuntimeCredential,
  removeAgentFolder,
  writeEnvFile,
  writeRuntimeCredential,
} from './agent-folder';

let dir: string;
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
const me = { uid: process.getuid!(), gid: process.getgid!() };

describe('agent folder', () => {
  it('creates home/workspace, config and trace; removes it all; a second removal reports nothing', () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-folder-'));
    const f = agentFolder(dir, 'a1');
    makeAgentFolder(f, me);
    for (const p of [f.workspace, f.config, f.trace]) expect(fs.statSync(p).isDirectory()).toBe(true);
    expect(fs.statSync(f.root).mode & 0o777).toBe(0o700);
    expect(fs.statSync(f.config).mode & 0o777).toBe(0o750);
    expect(f.envFile.startsWith(f.config)).toBe(true);
    expect(removeAgentFolder(f)).toBe(true);
    expect(fs.existsSync(f.root)).toBe(false);
    expect(removeAgentFolder(f)).toBe(false);
  });

  it('writes the env file 0640 in the config folder and sh reads every value back exactly', () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-folder-'));
    const f = agentFolder(dir, 'a1');
    makeAgentFolder(f, me);
    const env = { A: 'it\'s $HOME `x` "q" \\ ;', B: '', C: 'sk-agentdesk-abc' };
    writeEnvFile(f, env, me);
    expect(fs.statSync(f.envFile).mode & 0o777).toBe(0o640);
    const out = execFileSync('sh', ['-c', `set -a; . "${f.envFile}"; printf '%s\\n%s\\n%s' "$A" "$B" "$C"`], {
      encoding: 'utf8',
    });
    expect(out).toBe(`${env.A}\n\n${env.C}`);
  });

  it('mints a runtime credential per call and reads it back only from the config folder', () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-folder-'));
    const f = agentFolder(dir, 'a1');
    makeAgentFolder(f, me);
    const a = writeRuntimeCredential(f, me);
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(readRuntimeCredential(f)).toBe(a);
    expect(writeRuntimeCredential(f, me)).not.toBe(a);
  });

  it('refuses a name that is not a shell identifier and a value with a newline', () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-folder-'));
    expect(() => envFileText({ 'A-B': 'x' })).toThrow(/not a shell identifier/);
    expect(() => envFileText({ A: 'x\ny' })).toThrow(/newline/);
  });
});
