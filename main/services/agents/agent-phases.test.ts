// Phase changes have one owner: the row is written first, then the trace and the keys are told, then the UIs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../storage/database';
import type { Db } from '../storage/database';
import { AgentPhases } from './agent-phases';
import type { PhaseChange } from './agent-phases';
import { AgentRepository } from './agent-repository';
import type { AgentRow } from './agent-repository';
import { agentRow } from '../../../test/agents';

let dir: string;
let db: Db;
let repo: AgentRepository;

function row(id: string, phase: AgentRow['phase']): AgentRow {
  return agentRow(id, { phase });
}

/** The phases with every effect recorded in order, and the suspensions as the gateway sees them. */
function phasesOver(): { phases: AgentPhases; log: string[]; suspended: Map<string, string> } {
  const log: string[] = [];
  const suspended = new Map<string, string>();
  const phases = new AgentPhases({
    repo,
    view: { list: () => [] },
    onChange: () => log.push('changed'),
    onTransition: (t: PhaseChange) =>
      log.push(`trace ${t.from ?? '-'}→${t.to} (db: ${repo.get(t.id)?.phase})`),
    keys: {
      suspend: (owner, reason) => {
        suspended.set(owner, reason);
        log.push(`suspend ${owner}`);
      },
      resume: (owner) => {
        suspended.delete(owner);
        log.push(`resume ${owner}`);
      },
    },
  });
  return { phases, log, suspended };
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-phases-'));
  db = openDatabase(path.join(dir, 'agentdesk.db'));
  repo = new AgentRepository(db);
});
afterEach(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('AgentPhases', () => {
  it('suspends the keys of every agent that may not call from the start', () => {
    repo.insert(row('a1', 'running'));
    repo.insert(row('a2', 'stopped'));
    repo.insert(row('a3', 'archived'));
    const { suspended } = phasesOver();
    expect([...suspended].sort(([a], [b]) => a.localeCompare(b))).toEqual([
      ['a2', 'The agent "Agent a2" is stopped'],
      ['a3', 'The agent "Agent a3" is archived'],
    ]);
  });

  it('writes the phase, then traces it, suspends or resumes the keys, then tells the UIs', () => {
    repo.insert(row('a1', 'running'));
    const { phases, log, suspended } = phasesOver();
    log.length = 0;
    phases.set('a1', 'stopping', 'asked');
    expect(suspended.get('a1')).toBe('The agent "Agent a1" is stopping');
    phases.set('a1', 'starting', null);
    expect(suspended.has('a1')).toBe(false);
    expect(log).toEqual([
      'trace running→stopping (db: stopping)',
      'suspend a1',
      'changed',
      'trace stopping→starting (db: starting)',
      'resume a1',
      'changed',
    ]);
  });

  it('tells a new agent and a removed one; a phase of an agent that is gone is NOT_FOUND', () => {
    const { phases, log, suspended } = phasesOver();
    repo.insert(row('a1', 'creating'));
    phases.created('a1', 1);
    expect(log).toEqual(['trace -→creating (db: creating)', 'suspend a1', 'changed']);
    repo.delete('a1');
    phases.removed('a1');
    expect(suspended.has('a1')).toBe(false);
    expect(() => phases.set('a1', 'running', null)).toThrow('The agent a1 no longer exists');
  });
});
