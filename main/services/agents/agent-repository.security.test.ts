// The gateway's view of an agent (name, slug, phase) is kept in memory: it must never lag a write, or a stopped or archived agent could still call.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../storage/database';
import type { Db } from '../storage/database';
import { AgentRepository, callRefusal } from './agent-repository';
import type { AgentRow } from './agent-repository';
import { agentRow } from '../../../test/agents';

let dir: string;
let db: Db;
let repo: AgentRepository;

function row(id: string): AgentRow {
  return agentRow(id, { phase: 'running', running_since: Date.now() });
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-brief-'));
  db = openDatabase(path.join(dir, 'agentdesk.db'));
  repo = new AgentRepository(db);
});
afterEach(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('the agent brief the gateway reads on every call', () => {
  it('a key of an agent that was just stopped, archived or purged is refused on the very next call', () => {
    repo.insert(row('a1'));
    expect(callRefusal(repo.brief('a1'))).toBeNull(); // running: asked once, now remembered
    repo.setPhase('a1', 'stopped', 'stopped by the user');
    expect(callRefusal(repo.brief('a1'))).toBe('The agent "Agent a1" is stopped');
    repo.setPhase('a1', 'running', null);
    expect(callRefusal(repo.brief('a1'))).toBeNull();
    repo.setPhase('a1', 'archived', 'archived');
    expect(callRefusal(repo.brief('a1'))).toBe('The agent "Agent a1" is archived');
    repo.delete('a1');
    expect(repo.brief('a1')).toBeNull();
  });

  it('an id asked before the agent existed is not remembered as "no agent" once it is inserted', () => {
    expect(repo.brief('late')).toBeNull();
    repo.insert({ ...row('late'), phase: 'stopped' });
    expect(callRefusal(repo.brief('late'))).toBe('The agent "Agent late" is stopped');
  });

  it('a renamed slug (restore after a name collision) shows at once in budget messages', () => {
    repo.insert(row('a2'));
    expect(repo.brief('a2')?.slug).toBe('a2');
    repo.update('a2', { slug: 'a2-restored' });
    expect(repo.brief('a2')?.slug).toBe('a2-restored');
  });
});
