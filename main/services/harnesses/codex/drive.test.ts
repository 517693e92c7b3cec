// Codex's `exec --json` events (as 0.169.0 printed them against a scripted provider) mapped to our turn events; its command line and config.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { agentFolder, configFolderOf } from '../../agents/agent-folder';
import { codexOverrides, writeCodexConfig } from './config';
import { codexDriver, codexMapper, readCodexOverrides } from './drive';

/** A turn as Codex 0.169.0 printed it: `echo hi` through its shell, then its answer. */
const TURN = [
  { type: 'thread.started', thread_id: '01a24e57-e162-7a50-be1a-ebaa4e70729c' },
  {
    type: 'item.completed',
    item: { id: 'item_0', type: 'error', message: 'Model metadata for `scripted/gpt-test-mini` not found.' },
  },
  { type: 'turn.started' },
  {
    type: 'item.started',
    item: {
      id: 'item_1',
      type: 'command_execution',
      command: "/usr/bin/bash -lc 'echo hi'",
      aggregated_output: '',
      exit_code: null,
      status: 'in_progress',
    },
  },
  {
    type: 'item.completed',
    item: {
      id: 'item_1',
      type: 'command_execution',
      command: "/usr/bin/bash -lc 'echo hi'",
      aggregated_output: 'hi\n',
      exit_code: 0,
      status: 'completed',
    },
  },
  { type: 'item.completed', item: { id: 'item_2', type: 'agent_message', text: 'All done: hi' } },
  { type: 'turn.completed', usage: { input_tokens: 20, output_tokens: 10 } },
];

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

describe('Codex events', () => {
  it('become the session, a notice, the tool call and its result with the exit code, the text and the reply', () => {
    const m = codexMapper();
    expect(TURN.flatMap((l) => m.map(l))).toEqual([
      { kind: 'session', id: '01a24e57-e162-7a50-be1a-ebaa4e70729c' },
      { kind: 'notice', message: 'Codex: Model metadata for `scripted/gpt-test-mini` not found.' },
      {
        kind: 'tool_call',
        id: 'item_1',
        name: 'exec_command',
        arguments: `{"command":"/usr/bin/bash -lc 'echo hi'"}`,
      },
      { kind: 'tool_result', id: 'item_1', name: 'exec_command', output: 'hi\n', exit_code: 0 },
      { kind: 'text', delta: 'All done: hi' },
      { kind: 'reply', text: 'All done: hi' },
    ]);
    expect(m.end?.()).toEqual([]);
  });

  it('give a command seen only completed both its call and result, and the last message as the reply', () => {
    const m = codexMapper();
    expect(
      m.map({
        type: 'item.completed',
        item: { id: 'c', type: 'command_execution', command: 'false', aggregated_output: '', exit_code: 1 },
      }),
    ).toEqual([
      { kind: 'tool_call', id: 'c', name: 'exec_command', arguments: '{"command":"false"}' },
      { kind: 'tool_result', id: 'c', name: 'exec_command', output: '', exit_code: 1 },
    ]);
    m.map({ type: 'item.completed', item: { type: 'agent_message', text: 'first' } });
    expect(m.map({ type: 'item.completed', item: { type: 'agent_message', text: 'second' } })).toEqual([
      { kind: 'text', delta: '\n\nsecond' },
    ]);
    expect(m.map({ type: 'turn.completed' })).toEqual([{ kind: 'reply', text: 'second' }]);
  });

  it("end in Codex's own error: a failed turn, or an error it reported without ever ending the turn", () => {
    expect(codexMapper().map({ type: 'turn.failed', error: { message: 'unexpected status 403' } })).toEqual([
      { kind: 'error', message: 'Codex: unexpected status 403' },
    ]);
    const m = codexMapper();
    m.map({ type: 'error', message: 'stream disconnected before completion' });
    expect(m.end?.()).toEqual([{ kind: 'error', message: 'Codex: stream disconnected before completion' }]);
  });
});

describe('the Codex command and config', () => {
  it('writes its provider (the gateway, the key from OPENAI_API_KEY) and no other traffic into the config folder', () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-codex-'));
    dirs.push(home);
    const folder = agentFolder(home, 'a1');
    fs.mkdirSync(folder.config, { recursive: true });
    const endpoint = {
      gateway: 'http://172.30.0.1:4100',
      virtualKey: `sk-agentdesk-${'k'.repeat(43)}`,
      model: 'm/x',
      fallbacks: [],
    };
    expect(writeCodexConfig(configFolderOf(folder), endpoint)).toEqual({});
    const written = readCodexOverrides(folder.config);
    expect(written).toEqual(codexOverrides(endpoint));
    expect(written).toEqual(
      expect.arrayContaining([
        'model_provider="agentdesk"',
        'model_providers.agentdesk.base_url="http://172.30.0.1:4100/v1"',
        'model_providers.agentdesk.env_key="OPENAI_API_KEY"',
        'model_providers.agentdesk.wire_api="responses"',
        'features.plugins=false',
        'analytics.enabled=false',
      ]),
    );
    // The key is never written: Codex reads it from the environment variable the overrides name.
    expect(fs.readFileSync(path.join(folder.config, 'codex-overrides.json'), 'utf8')).not.toContain(
      'sk-agentdesk-',
    );
    expect(() =>
      writeCodexConfig(configFolderOf(folder), { ...endpoint, virtualKey: 'sk-proj-REAL' }),
    ).toThrow(/only an Agent Desk virtual key/);
  });

  it('runs `codex exec --json` with its sandbox off (the container is one), resuming the thread’s session', () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-codex-'));
    dirs.push(home);
    fs.writeFileSync(path.join(home, 'codex-overrides.json'), JSON.stringify(['features.plugins=false']));
    const env = { AGENTDESK_CONFIG_DIR: home };
    {
      const first = codexDriver.command({ model: 'oai/gpt-test-mini', threadId: 't', session: null, env });
      expect(first.args).toEqual([
        'exec',
        '--json',
        '--skip-git-repo-check',
        '-c',
        'features.plugins=false',
        '--sandbox',
        'danger-full-access',
        '--model',
        'oai/gpt-test-mini',
        '-',
      ]);
      const next = codexDriver.command({ model: 'oai/gpt-test-mini', threadId: 't', session: 'S1', env });
      expect(next.args.slice(-3)).toEqual(['resume', 'S1', '-']);
    }
  });
});
