// `agentdesk agents list` notes the models the Agents page flags: no longer served, or a failing provider.
import { describe, expect, it } from 'vitest';
import type { Agent } from '../../contract/agents';
import { agentRecord } from '../../test/agents';
import type { Client } from '../../contract/client';
import type { Provider } from '../../contract/providers';
import { formatAgents, modelNotes } from './agents';

const T0 = 1_800_000_000_000;

function agent(id: string, slug: string, model: string, phase: Agent['phase'] = 'running'): Agent {
  return agentRecord({
    id,
    slug,
    model,
    phase,
    created_at: T0,
    archived_at: phase === 'archived' ? T0 : null,
  });
}

function provider(id: string, name: string, status: Provider['status'], detail = ''): Provider {
  return {
    id,
    kind: 'openai_compatible',
    name,
    base_url: 'http://127.0.0.1:8080/v1',
    key: { present: false, preview: null },
    status,
    status_detail: detail,
    checked_at: T0,
    model_count: 1,
    models_fetched_at: T0,
    created_at: T0,
    updated_at: T0,
  } as unknown as Provider;
}

/** A client answering only what `modelNotes` asks: the providers and their fetched model lists. */
function fakeClient(providers: Provider[], lists: Record<string, string[]>): Client {
  return {
    providers: {
      list: () => Promise.resolve(providers),
      models: ({ id }: { id: string }) =>
        Promise.resolve({
          provider_id: id,
          fetched_at: T0,
          models: (lists[id] ?? []).map((m) => ({ id: m })),
        }),
    },
  } as unknown as Client;
}

describe('agents list model notes', () => {
  const agents = [
    agent('a1', 'gone', 'removed/gpt-x'),
    agent('a2', 'dropped', 'local/old-model'),
    agent('a3', 'down', 'remote/big'),
    agent('a4', 'fine', 'local/new-model'),
    agent('a5', 'archived', 'removed/gpt-x', 'archived'),
  ];
  const client = fakeClient(
    [
      provider('local', 'llama.cpp', 'ok'),
      provider('remote', 'Remote', 'unreachable', 'llama.cpp at 127.0.0.1:8081 is not answering'),
    ],
    { local: ['new-model'], remote: ['big'] },
  );

  it('flags unserved models and failing providers with the Agents page’s words, live agents only', async () => {
    const notes = await modelNotes(client, agents);
    expect([...notes.keys()].sort()).toEqual(['a1', 'a2', 'a3']);
    expect(notes.get('a1')).toMatchObject({
      state: 'unserved',
      message: 'Model no longer served: provider “removed” was removed',
    });
    expect(notes.get('a2')).toMatchObject({
      state: 'unserved',
      message: expect.stringContaining('llama.cpp does not list “old-model” any more') as string,
    });
    expect(notes.get('a3')).toMatchObject({
      state: 'failing',
      message: 'Remote is failing: llama.cpp at 127.0.0.1:8081 is not answering',
    });
    const text = formatAgents(agents, T0, notes);
    const line = (slug: string) => text.split('\n').find((l) => l.includes(` ${slug} `)) ?? '';
    expect(line('gone')).toMatch(/Model no longer served: provider “removed” was removed/);
    expect(line('dropped')).toMatch(/does not list “old-model” any more/);
    expect(line('down')).toMatch(/Remote is failing: llama\.cpp at 127\.0\.0\.1:8081 is not answering/);
    expect(line('fine')).not.toMatch(/served|failing/);
  });

  it('prints the list without notes when the providers cannot be read', async () => {
    const broken = {
      providers: { list: () => Promise.reject(new Error('down')) },
    } as unknown as Client;
    expect((await modelNotes(broken, agents)).size).toBe(0);
  });
});
