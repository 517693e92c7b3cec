// An agent made by the previous version (root container, published port, env file in its home) keeps working: its next start migrates it.
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addScriptedProvider,
  ensureRuntimeBundle,
  purgeAll,
  runtimeReachable,
  turn,
  until,
} from '../../../test/agents';
import { ensureBaseImage, runtimeFor } from '../../../test/base-image';
import { withModelApis } from '../../../test/fixtures/scripted-llm';
import { ScriptedUpstream } from '../../../test/fixtures/scripted-upstream';
import { litellmInstalled, REAL_KEY } from '../../../test/llm-stack';
import { skipUnlessReal } from '../../../test/real';
import { startCore } from '../../app/bootstrap';
import type { Core } from '../../app/bootstrap';
import { call } from '../../transport/dispatch';
import { BASE_IMAGE_REF } from '../images/image-manifest';
import type { RuntimeKind } from '../runtimes/container-runtime';
import { LABELS } from '../runtimes/container-runtime';
import { agentFolder } from './agent-folder';
import { resolveOptions } from '../../platform/paths';

/** The environment of the cores this file starts: this process's, plus what the tests set (never the global one). */
const coreEnv: NodeJS.ProcessEnv = { ...process.env };

const kinds: RuntimeKind[] = ['docker', 'incus'];

describe.each(kinds)('upgrade of an agent made by the previous version on %s', (kind) => {
  const skip = skipUnlessReal(runtimeReachable(kind) && litellmInstalled(), `${kind} and LiteLLM`);
  let home: string;
  let core: Core;
  let upstream: ScriptedUpstream;

  beforeAll(async () => {
    if (skip) return;
    await ensureBaseImage([kind]);
    ensureRuntimeBundle();
    home = fs.mkdtempSync(path.join(os.tmpdir(), `agentdesk-test-upgrade-${kind}-`));
    upstream = await withModelApis(
      new ScriptedUpstream({ key: REAL_KEY, models: ['gpt-test-mini'] }),
    ).start();
    coreEnv.AGENTDESK_KEY_SCRIPTED = REAL_KEY;
    core = await startCore({ home, app: resolveOptions(coreEnv), mode: 'headless', healthIntervalMs: 0 });
    await call(core.dispatcher, 'settings', 'update', { container_runtime: kind });
    await addScriptedProvider(core.dispatcher, upstream.v1);
  }, 600_000);

  afterAll(async () => {
    if (skip) return;
    await purgeAll(core.dispatcher);
    await core?.shutdown();
    await upstream?.stop();
    delete coreEnv.AGENTDESK_KEY_SCRIPTED;
    fs.rmSync(home, { recursive: true, force: true });
  });

  it.skipIf(skip)(
    'start gives it a config folder, a new key and a contained container; its files stay',
    async () => {
      const made = await call(core.dispatcher, 'agents', 'create', {
        name: `agentdesk-test-upgrade-${kind}`,
        model: 'scripted/gpt-test-mini',
        memory_mib: 256,
      });
      const first = await until(
        () => call(core.dispatcher, 'agents', 'get', { id: made.id }),
        (a) => a.phase === 'running' || a.phase === 'failed',
        180_000,
        'running',
      );
      expect(first.phase, first.phase_reason ?? '').toBe('running');
      await call(core.dispatcher, 'agents', 'stop', { id: made.id });

      // What the previous version left: a root container with a published port reading
      // /home/agent/.agentdesk/env, root-owned files in the home, no config folder.
      const rt = runtimeFor(kind);
      const f = agentFolder(home, made.id);
      try {
        await rt.remove(first.container);
        fs.rmSync(f.config, { recursive: true, force: true });
        fs.mkdirSync(path.join(f.home, '.agentdesk'), { recursive: true });
        const oldKey = `sk-agentdesk-${'o'.repeat(40)}`;
        fs.writeFileSync(path.join(f.home, '.agentdesk', 'env'), `OPENAI_API_KEY='${oldKey}'\n`, {
          mode: 0o600,
        });
        fs.writeFileSync(path.join(f.workspace, 'kept.txt'), 'from the old version\n');
        execFileSync('chown', ['-R', '0:0', f.home]);
        await rt.create({
          name: first.container,
          image: BASE_IMAGE_REF,
          env: { AGENTDESK_AGENT_ID: made.id, AGENTDESK_ENV_FILE: '/home/agent/.agentdesk/env' },
          labels: {
            [LABELS.agentId]: made.id,
            [LABELS.slug]: first.slug,
            [LABELS.instance]: crypto
              .createHash('sha256')
              .update(path.resolve(home))
              .digest('hex')
              .slice(0, 16),
          },
          mounts: [{ hostPath: f.home, containerPath: '/home/agent', readOnly: false }],
          memoryMiB: 256,
          cpus: 1,
          ports: [{ containerPort: 8100, hostPort: 0 }],
          hostServicePort: core.llm.gateway.port,
          command: [],
        });
      } finally {
        await rt.close();
      }

      await call(core.dispatcher, 'agents', 'start', { id: made.id });
      const after = await call(core.dispatcher, 'agents', 'get', { id: made.id });
      expect(after.phase, after.phase_reason ?? '').toBe('running');
      expect(after.runtime_port).toBeNull();
      expect(after.key_prefix).not.toBe(first.key_prefix);
      expect(fs.readFileSync(f.envFile, 'utf8')).toMatch(/^OPENAI_API_KEY='sk-agentdesk-/m);
      expect(fs.existsSync(path.join(f.home, '.agentdesk', 'env'))).toBe(false);
      expect(fs.readFileSync(path.join(f.workspace, 'kept.txt'), 'utf8')).toBe('from the old version\n');
      expect(fs.statSync(path.join(f.workspace, 'kept.txt')).uid).toBe(
        process.getuid!() === 0 ? 64000 : process.getuid!(),
      );
      const events = await turn({ home, agent: after }, 'after the upgrade #tool=shell');
      expect(events.at(-1)?.event).toBe('done');
    },
    // Two deploys, a container made by hand and a turn; on Incus' `dir` pool each container copies the
    // whole rootfs, which takes tens of seconds on a busy machine (the deploy wait alone allows 180 s).
    300_000,
  );
});
