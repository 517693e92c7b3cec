// kill -9 of a process flooding the trace store: every event acknowledged before the kill is there after a restart.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TraceQuery } from '../../../contract/traces';
import { TraceRecorder } from './trace-recorder';
import { bundleForNode, traceWorkerFile } from './trace-worker-file';

const AGENT = '33333333-3333-4333-8333-333333333333';
let data: string;

beforeEach(() => {
  data = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-tracecrash-'));
  fs.mkdirSync(path.join(data, 'agents', AGENT), { recursive: true });
});
afterEach(() => fs.rmSync(data, { recursive: true, force: true }));

describe('trace store durability', () => {
  it('keeps every acknowledged event when the process is killed with SIGKILL during a flood', async () => {
    const worker = await traceWorkerFile();
    const child = await bundleForNode(path.join(__dirname, 'trace-flood.fixture.ts'), 'trace-flood');
    const proc = spawn(process.execPath, [child, data, worker, AGENT], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const acked: string[] = [];
    let buf = '';
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      proc.once('exit', (_code, sig) => resolve(sig)),
    );
    await new Promise<void>((resolve, reject) => {
      proc.stdout.on('data', (c: Buffer) => {
        buf += c.toString();
        const lines = buf.split('\n');
        buf = lines.pop()!;
        acked.push(...lines);
        if (acked.length >= 4000) resolve();
      });
      proc.once('exit', () => reject(new Error(`the flood stopped by itself: ${stderr}`)));
    });
    proc.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const afterKill = buf.split('\n').filter((l) => l.length === 36); // complete ids still in the pipe
    acked.push(...afterKill);
    expect(stderr).toBe('');

    const dir = path.join(data, 'agents', AGENT, 'trace');
    const recorder = new TraceRecorder({
      traceDirOf: () => dir,
      allTraceDirs: () => [dir],
      log: pino({ level: 'silent' }),
      maintenanceMs: 0,
    });
    try {
      const stored = new Set<string>();
      let cursor: string | undefined;
      do {
        const page = await recorder.query(
          TraceQuery.parse({ agent_id: AGENT, limit: 1000, ...(cursor ? { cursor } : {}) }),
        );
        for (const e of page.events) stored.add(e.id);
        cursor = page.next_cursor ?? undefined;
      } while (cursor);
      const missing = acked.filter((id) => !stored.has(id));
      expect(missing).toEqual([]);
      expect(stored.size).toBeGreaterThanOrEqual(acked.length);
    } finally {
      await recorder.close();
    }
  });
});
