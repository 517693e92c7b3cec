// `agentdesk providers remove` names the agents that use the provider and removes it only with --yes.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Provider } from '../../contract/providers';
import { ScriptedUpstream } from '../../test/fixtures/scripted-upstream';
import { dataPaths } from '../platform/paths';
import { AgentRepository } from '../services/agents/agent-repository';
import type { AgentRow } from '../services/agents/agent-repository';
import { agentRow as testAgentRow } from '../../test/agents';
import { openDatabase } from '../services/storage/database';
import { buildProgram } from './index';
import { serve } from './serve';
import type { Served } from './serve';
import { resolveOptions } from '../platform/paths';

/** The environment of the cores this file starts: this process's, plus what the tests set (never the global one). */
const coreEnv: NodeJS.ProcessEnv = { ...process.env };

/** Runs the CLI in this process with nothing on stdin. */
async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  let code = 0;
  const program = buildProgram({
    out: { write: (s: string) => (out += s) },
    err: { write: (s: string) => (err += s) },
    env: {},
    readStdin: () => Promise.resolve(null),
    setExitCode: (c) => {
      code = c;
    },
    app: resolveOptions(coreEnv),
  });
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (e) {
    code = (e as { exitCode?: number }).exitCode ?? 1;
  }
  return { code, out, err };
}

/** A stopped agent record (no container is needed to depend on a provider). */
function agentRow(slug: string, model: string, phase: AgentRow['phase'] = 'stopped'): AgentRow {
  return testAgentRow(`id-${slug}`, { slug, name: `Agent ${slug}`, model, phase });
}

let home: string;
let served: Served;
let ollama: ScriptedUpstream;

beforeAll(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-cli-rm-users-'));
  ollama = await new ScriptedUpstream({ models: ['used-model'], ollama: true }).start();
  served = await serve({ home, app: resolveOptions(coreEnv), port: 0, healthIntervalMs: 0 });
});
afterAll(async () => {
  await served?.stop();
  await ollama?.stop();
  fs.rmSync(home, { recursive: true, force: true });
});

describe('agentdesk providers remove with agents that use the provider', () => {
  it('refuses without --yes naming the agents, keeps the provider, and removes it with --yes', async () => {
    const h = ['--home', home];
    expect((await cli(['providers', 'add', 'ollama', '--base-url', ollama.url, ...h])).code).toBe(0);
    const db = openDatabase(dataPaths.db(home));
    try {
      const repo = new AgentRepository(db);
      repo.insert(agentRow('uses-main', 'ollama/used-model'));
      repo.insert({ ...agentRow('uses-fallback', 'other/m'), fallbacks: '["ollama/used-model"]' });
      repo.insert(agentRow('gone-already', 'ollama/used-model', 'archived'));
      repo.insert(agentRow('unrelated', 'ollamax/used-model'));
    } finally {
      db.close();
    }

    const refused = await cli(['providers', 'remove', 'ollama', ...h]);
    expect(refused.code).toBe(1);
    expect(refused.out).toBe('');
    expect(refused.err).toBe(
      'agentdesk providers remove: agents uses-fallback, uses-main use ollama; removing it makes their chats fail: add --yes to confirm\n',
    );
    const still = JSON.parse((await cli(['providers', 'list', '--json', ...h])).out) as Provider[];
    expect(still.map((p) => p.id)).toEqual(['ollama']);

    const done = await cli(['providers', 'remove', 'ollama', '--yes', ...h]);
    expect(done.code).toBe(0);
    expect(done.out).toBe('Removed ollama\n');
    expect(done.err).toBe('note: uses-fallback, uses-main no longer have a served model\n');
    const after = JSON.parse((await cli(['providers', 'list', '--json', ...h])).out) as Provider[];
    expect(after).toEqual([]);
  });
});
