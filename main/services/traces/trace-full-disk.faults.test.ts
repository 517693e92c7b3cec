// Fault: an agent's trace folder on a tiny tmpfs that fills up: clear errors, no crash, every acknowledged event kept.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TraceQuery } from '../../../contract/traces';
import type { TraceEvent } from '../../../contract/traces';
import { skipUnlessReal } from '../../../test/real';
import { traceEvent } from '../../../test/trace-events';
import { TraceRecorder } from './trace-recorder';

const AGENT = '0b5e8d1c-6f1e-4a53-9a57-1f0b3e2a7c10';

/** True when this process may mount a tmpfs (root on Linux). */
function canMount(): boolean {
  return process.platform === 'linux' && process.getuid?.() === 0;
}

const skip = skipUnlessReal(canMount(), 'mounting a tmpfs (root on Linux)');

describe.skipIf(skip)('fault: the trace folder on a full filesystem', () => {
  let data: string;
  let mount: string;
  let recorder: TraceRecorder;
  const errors: string[] = [];

  beforeAll(() => {
    data = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-fulldisk-'));
    mount = path.join(data, 'agents', AGENT, 'trace');
    fs.mkdirSync(mount, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0700', 'tmpfs', mount]);
    recorder = new TraceRecorder({
      traceDirOf: (id) => (id === AGENT ? mount : null),
      allTraceDirs: () => [mount],
      log: pino({ level: 'silent' }),
      maintenanceMs: 0,
    });
  });

  afterAll(async () => {
    await recorder?.close();
    try {
      execFileSync('umount', [mount]);
    } finally {
      fs.rmSync(data, { recursive: true, force: true });
    }
  });

  const page = async (): Promise<TraceEvent[]> => {
    const all: TraceEvent[] = [];
    let cursor: string | null = null;
    for (;;) {
      const q = TraceQuery.parse({ agent_id: AGENT, limit: 500, ...(cursor ? { cursor } : {}) });
      const r = await recorder.query(q);
      all.push(...r.events);
      if (!r.next_cursor) return all;
      cursor = r.next_cursor;
    }
  };

  it('fills the disk: refusals name the cause, nothing acknowledged is lost, writes resume once space is back', async () => {
    const acked: string[] = [];
    const refused: string[] = [];
    const t0 = Date.now();
    // 4 KiB payloads, 10 per append, until 20 appends in a row are refused (the disk is full).
    let refusedInARow = 0;
    for (let i = 0; i < 2000 && refusedInARow < 20; i++) {
      const batch = Array.from({ length: 10 }, (_, j) =>
        traceEvent(AGENT, t0 + i * 10 + j, { payload: { from: 'user', text: 'x'.repeat(4096) } }),
      );
      try {
        await recorder.append(batch);
        acked.push(...batch.map((e) => e.id));
        refusedInARow = 0;
      } catch (err) {
        errors.push((err as Error).message);
        refused.push(...batch.map((e) => e.id));
        refusedInARow++;
      }
    }
    // The disk did fill, and only after a good number of events were kept.
    expect(refused.length).toBeGreaterThan(0);
    expect(acked.length).toBeGreaterThan(50);
    // Each refusal says why, in words a user can act on.
    for (const m of errors)
      expect(m).toMatch(/ENOSPC|no space left|disk is full|SQLITE_FULL|database or disk is full/i);

    // Nothing acknowledged was lost: every acked id reads back (SQLite, or the JSONL fallback).
    const ids = new Set((await page()).map((e) => e.id));
    const missing = acked.filter((id) => !ids.has(id));
    expect(missing).toEqual([]);

    // Space is back (the user freed some): new events are accepted and readable again.
    execFileSync('mount', ['-o', 'remount,size=4m', mount]);
    const after = traceEvent(AGENT, Date.now(), { payload: { from: 'user', text: 'after' } });
    await recorder.append([after]);
    const again = new Set((await page()).map((e) => e.id));
    expect(again.has(after.id)).toBe(true);
    expect(acked.filter((id) => !again.has(id))).toEqual([]);
  }, 120_000);
});
