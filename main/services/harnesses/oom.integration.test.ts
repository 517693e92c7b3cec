// A harness the kernel kills for lack of memory is reported as such, with the limit and the fix: in the turn, the phase and the trace, on Docker and Incus.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventPayload } from '../../../contract/events';
import type { RuntimeKind } from '../runtimes/container-runtime';
import { runtimeReachable, until } from '../../../test/agents';
import { ensureBaseImage } from '../../../test/base-image';
import { hogHarness } from '../../../test/fixtures/harnesses/hog';
import { withModelApis } from '../../../test/fixtures/scripted-llm';
import { ScriptedUpstream } from '../../../test/fixtures/scripted-upstream';
import { addScriptedProvider, purgeAll } from '../../../test/agents';
import { litellmInstalled, REAL_KEY } from '../../../test/llm-stack';
import { skipUnlessReal } from '../../../test/real';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startCore } from '../../app/bootstrap';
import type { Core } from '../../app/bootstrap';
import { call } from '../../transport/dispatch';
import { resolveOptions } from '../../platform/paths';

/** The environment of the cores this file starts: this process's, plus what the tests set (never the global one). */
const coreEnv: NodeJS.ProcessEnv = { ...process.env };

const kinds: RuntimeKind[] = ['docker', 'incus'];

describe.each(kinds)('an OOM kill on %s', (kind) => {
  // The kernel log and the host's cgroups are read as root (the documented server setup and CI).
  const skip = skipUnlessReal(
    runtimeReachable(kind) && litellmInstalled() && process.getuid?.() === 0,
    `${kind}, LiteLLM and root`,
  );
  let home: string;
  let core: Core;
  let upstream: ScriptedUpstream;
  const turnEvents: EventPayload<'agents.turn'>[] = [];

  beforeAll(async () => {
    if (skip) return;
    await ensureBaseImage([kind]);
    home = fs.mkdtempSync(path.join(os.tmpdir(), `agentdesk-test-oom-${kind}-`));
    upstream = await withModelApis(
      new ScriptedUpstream({ key: REAL_KEY, models: ['gpt-test-mini'] }),
    ).start();
    coreEnv.AGENTDESK_KEY_SCRIPTED = REAL_KEY;
    core = await startCore({
      home,
      app: resolveOptions(coreEnv),
      mode: 'headless',
      healthIntervalMs: 0,
      extraHarnesses: [hogHarness],
    });
    core.bus.on('agents.turn', (e) => turnEvents.push(e));
    await call(core.dispatcher, 'settings', 'update', { container_runtime: kind });
    await addScriptedProvider(core.dispatcher, upstream.v1);
  }, 300_000);

  afterAll(async () => {
    if (skip) return;
    await purgeAll(core.dispatcher);
    await core.shutdown();
    await upstream.stop();
    delete coreEnv.AGENTDESK_KEY_SCRIPTED;
    fs.rmSync(home, { recursive: true, force: true });
  }, 120_000);

  it.skipIf(skip)(
    'says the kernel killed the harness for lack of memory, at which limit and how to raise it; the fix works',
    async () => {
      const created = await call(core.dispatcher, 'agents', 'create', {
        name: `agentdesk-test-oom-${kind}-${Math.random().toString(36).slice(2, 6)}`,
        harness: 'hog',
        model: 'scripted/gpt-test-mini',
      });
      expect(created.memory_mib).toBe(128);
      const running = await until(
        () => call(core.dispatcher, 'agents', 'get', { id: created.id }),
        (a) => a.phase === 'running' || a.phase === 'failed',
        120_000,
        'running',
      );
      expect(running.phase, running.phase_reason ?? '').toBe('running');

      // The turn: its error says what happened, the limit and the fix.
      const result = await call(core.dispatcher, 'agents', 'chat', { id: created.id, text: 'grow' });
      expect(result.reply).toBeNull();
      expect(result.error).toMatch(
        /^The kernel killed Memory hog \(or a process it ran\) for lack of memory during the turn: the agent's limit is 128 MiB.*agentdesk agents limits [0-9a-f-]+ --memory \d+/,
      );
      const mine = turnEvents.filter((e) => e.turn_id === result.turn_id && e.event === 'error');
      expect(mine.at(-1)?.data).toMatchObject({ cause: 'oom', message: result.error });

      // The phase: failed, with the same facts.
      const failed = await until(
        () => call(core.dispatcher, 'agents', 'get', { id: created.id }),
        (a) => a.phase === 'failed',
        60_000,
        'failed',
      );
      expect(failed.phase_reason).toMatch(
        /for lack of memory and its container stopped: the agent's limit is 128 MiB.*--memory/,
      );

      // The trace: the turn's error and the lifecycle event to failed.
      const events = await until(
        () => call(core.dispatcher, 'traces', 'list', { agent_id: created.id, limit: 200 }),
        (p) =>
          p.events.some((e) => e.kind === 'error' && e.trace_id === result.turn_id) &&
          p.events.some((e) => e.kind === 'lifecycle' && e.error !== null),
        30_000,
        'the error and lifecycle events',
      ).then((p) => p.events);
      expect(events.find((e) => e.kind === 'error' && e.trace_id === result.turn_id)?.error).toBe(
        result.error,
      );
      expect(events.filter((e) => e.kind === 'lifecycle' && e.error).at(-1)?.error).toMatch(
        /lack of memory.*128 MiB/,
      );

      // The fix the message names: a higher limit (its container is created again with it) and a start.
      await call(core.dispatcher, 'agents', 'limits', { id: created.id, memory_mib: 512 });
      const again = await call(core.dispatcher, 'agents', 'start', { id: created.id });
      expect(again).toMatchObject({ phase: 'running', memory_mib: 512 });
    },
    300_000,
  );
});
