// The tools on a real temp workspace with real bash: results, path confinement, shell timeout and output cap.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { processAlive, tempHome } from './testkit';
import { ToolBox } from './tools';
import { Workspace } from './workspace';

let home: string;
let ws: string;
let tools: ToolBox;
const run = (name: string, args: unknown) =>
  tools.run(name, typeof args === 'string' ? args : JSON.stringify(args));

beforeAll(async () => {
  home = await tempHome();
  const workspace = new Workspace(path.join(home, 'workspace'));
  ws = await workspace.ensure();
  tools = new ToolBox({ workspace, homeDir: home, shellTimeoutMs: 20_000 });
  await fs.writeFile(path.join(home, 'secret.txt'), 'outside');
});
afterAll(async () => {
  await fs.rm(home, { recursive: true, force: true });
});

describe('file tools', () => {
  it('write_file creates folders, read_file and list_dir show the result', async () => {
    expect(await run('write_file', { path: 'a/b/c.txt', content: 'héllo' })).toMatchObject({
      output: 'wrote 6 bytes to a/b/c.txt',
      exit_code: 0,
    });
    expect(await run('read_file', { path: 'a/b/c.txt' })).toEqual({
      output: 'héllo',
      exit_code: 0,
      size: 6,
      truncated: false,
    });
    expect((await run('list_dir', {})).output).toContain('a/');
    expect((await run('list_dir', { path: 'a/b', extra: 'ignored' })).output).toBe('c.txt  6 bytes');
    expect((await run('read_file', { path: path.join(ws, 'a/b/c.txt') })).output).toBe('héllo');
  });

  it('says what is wrong with a missing file, a folder, bad arguments and unknown tools', async () => {
    expect((await run('read_file', { path: 'nope.txt' })).output).toBe(
      'error: nope.txt: no such file or folder in the workspace',
    );
    expect((await run('read_file', { path: '.' })).output).toBe('error: .: is a folder; use list_dir');
    expect((await run('write_file', { path: 'x.txt' })).output).toMatch(
      /write_file needs "content" as a string; got no such argument \(arguments given: path\)/,
    );
    expect((await run('shell', '{"command": ')).output).toMatch(/arguments of shell are not valid JSON/);
    const fly = await run('fly', {});
    expect(fly.exit_code).toBe(1);
    expect(fly.output).toBe(
      'error: unknown tool "fly"; available tools: shell, read_file, write_file, list_dir',
    );
  });

  it('cuts a large file at 64 KiB and keeps its size', async () => {
    await fs.writeFile(path.join(ws, 'big.txt'), 'z'.repeat(100_000));
    const r = await run('read_file', { path: 'big.txt' });
    expect(r).toMatchObject({ exit_code: 0, size: 100_000, truncated: true });
    expect(r.output).toMatch(/^z{65536}\n\[truncated: showing the first 65536 of 100000 bytes\]$/);
  });

  it.each([
    ['read_file', { path: '../secret.txt' }],
    ['read_file', { path: '/etc/passwd' }],
    ['list_dir', { path: '/' }],
    ['list_dir', { path: '..' }],
    ['write_file', { path: '../escape.txt', content: 'x' }],
    ['write_file', { path: '/tmp/agentdesk-test-escape.txt', content: 'x' }],
  ])('refuses %s %j outside the workspace', async (name, args) => {
    const r = await run(name, args);
    expect(r.exit_code).toBe(1);
    expect(r.output).toMatch(/refused, it resolves to .*; file tools only reach/);
  });

  it('refuses symlinks that lead outside, in reads, lists and writes', async () => {
    await fs.symlink(home, path.join(ws, 'up'));
    await fs.symlink(path.join(home, 'secret.txt'), path.join(ws, 'secret-link'));
    await fs.symlink('/nonexistent/agentdesk-test', path.join(ws, 'dangling'));
    for (const [name, args] of [
      ['read_file', { path: 'up/secret.txt' }],
      ['read_file', { path: 'secret-link' }],
      ['list_dir', { path: 'up' }],
      ['write_file', { path: 'up/new.txt', content: 'x' }],
      ['write_file', { path: 'up/deeper/new.txt', content: 'x' }],
      ['write_file', { path: 'secret-link', content: 'x' }],
      ['write_file', { path: 'dangling', content: 'x' }],
    ] as const) {
      const r = await run(name, args);
      expect(r.exit_code, `${name} ${JSON.stringify(args)}`).toBe(1);
      expect(r.output).toMatch(/refused, .*symlink/);
    }
    expect(await fs.readFile(path.join(home, 'secret.txt'), 'utf8')).toBe('outside');
    await expect(fs.access(path.join(home, 'new.txt'))).rejects.toThrow();
    await expect(fs.access(path.join(home, 'deeper'))).rejects.toThrow();
  });

  it('follows symlinks that stay inside the workspace', async () => {
    await fs.mkdir(path.join(ws, 'real'), { recursive: true });
    await fs.symlink(path.join(ws, 'real'), path.join(ws, 'alias'));
    expect((await run('write_file', { path: 'alias/f.txt', content: 'in' })).exit_code).toBe(0);
    expect(await fs.readFile(path.join(ws, 'real/f.txt'), 'utf8')).toBe('in');
  });
});

describe('shell tool', () => {
  it('runs in the workspace and reports output and exit status', async () => {
    expect(await run('shell', { command: 'echo hi; pwd' })).toEqual({
      output: `hi\n${ws}\n`,
      exit_code: 0,
      size: 4 + ws.length,
      truncated: false,
    });
    const r = await run('shell', { command: 'echo oops >&2; exit 3' });
    expect(r).toMatchObject({ exit_code: 3, output: 'oops\n[exit status 3]' });
  });

  it('caps output at 64 KiB and keeps the original size', async () => {
    const r = await run('shell', { command: "head -c 100000 /dev/zero | tr '\\0' a" });
    expect(r).toMatchObject({ exit_code: 0, size: 100_000, truncated: true });
    expect(r.output).toMatch(/^a{65536}\n\[output truncated: showing the first 65536 of 100000 bytes\]$/);
  });

  it('kills the whole process group when the deadline passes', async () => {
    const quick = new ToolBox({ workspace: new Workspace(ws), homeDir: home, shellTimeoutMs: 500 });
    const pidFile = path.join(ws, 'bg.pid');
    const r = await quick.run(
      'shell',
      JSON.stringify({ command: `sleep 60 & echo $! > ${pidFile}; echo started; wait` }),
    );
    expect(r.exit_code).toBe(124);
    expect(r.output).toBe('started\n[timed out after 0.5 s: the command and its process group were killed]');
    const pid = Number((await fs.readFile(pidFile, 'utf8')).trim());
    await vi.waitFor(() => expect(processAlive(pid)).toBe(false));
  });

  it('returns when bash exits even if a background job keeps its output open', async () => {
    const pidFile = path.join(ws, 'daemon.pid');
    const r = await run('shell', { command: `sleep 60 & echo $! > ${pidFile}; echo started` });
    expect(r).toMatchObject({ exit_code: 0, output: 'started\n' });
    const pid = Number((await fs.readFile(pidFile, 'utf8')).trim());
    expect(processAlive(pid)).toBe(true);
    process.kill(pid, 'SIGKILL');
  });
});
