// Attacker test: `agents.configure` writes the agent's instructions only into its host-written config folder, never into (or through) its home.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../storage/database';
import { configureAgent } from './agent-configure';
import { InstructionsRepository } from './agent-instructions';
import type { AgentRow } from './agent-repository';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-configure-sec-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A stopped agent's row (only the fields configure reads matter). */
function row(id: string): AgentRow {
  return { id, phase: 'stopped' } as AgentRow;
}

describe('agents.configure against a prompt-injected agent', () => {
  it('patches <data>/agents/<id>/config/env; a link the agent left in its home is neither followed nor replaced', () => {
    const id = '11111111-2222-4333-8444-555555555555';
    const root = path.join(dir, 'agents', id);
    const config = path.join(root, 'config');
    const home = path.join(root, 'home');
    fs.mkdirSync(config, { recursive: true });
    fs.mkdirSync(path.join(home, '.agentdesk'), { recursive: true });
    // The core's own env file (host-written, mounted read-only in the container).
    fs.writeFileSync(path.join(config, 'env'), "OPENAI_API_KEY='sk-agentdesk-real'\nAGENTDESK_MODEL='p/m'\n");
    // What the agent controls: its home, where it plants a link to a host file and a fake env file.
    const victim = path.join(dir, 'victim.txt');
    fs.writeFileSync(victim, "OPENAI_API_KEY='sk-agentdesk-attacker'\n");
    const planted = path.join(home, '.agentdesk', 'env');
    fs.symlinkSync(victim, planted);

    const db = openDatabase(path.join(dir, 'agentdesk.db'));
    const instructions = new InstructionsRepository(db);
    try {
      configureAgent({ dataDir: dir, instructions }, row(id), {
        id,
        system_prompt: 'Be terse.',
        tools: false,
      });
    } finally {
      db.close();
    }

    const env = fs.readFileSync(path.join(config, 'env'), 'utf8');
    expect(env).toContain(`AGENTDESK_SYSTEM_PROMPT='"Be terse."'`);
    expect(env).toContain("AGENTDESK_TOOLS='0'");
    // The key is the core's, kept from the config folder — never one the agent wrote.
    expect(env).toContain("OPENAI_API_KEY='sk-agentdesk-real'");
    expect(env).not.toContain('sk-agentdesk-attacker');
    // The agent's home is untouched: its link is still a link, its target unchanged.
    expect(fs.lstatSync(planted).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(victim, 'utf8')).toBe("OPENAI_API_KEY='sk-agentdesk-attacker'\n");
    expect(fs.readdirSync(path.join(home, '.agentdesk'))).toEqual(['env']);
  });

  it('refuses an env file that is a link instead of reading through it', () => {
    const id = '66666666-7777-4888-9999-aaaaaaaaaaaa';
    const config = path.join(dir, 'agents', id, 'config');
    fs.mkdirSync(config, { recursive: true });
    const target = path.join(dir, 'elsewhere.env');
    fs.writeFileSync(target, "SECRET='x'\n");
    fs.symlinkSync(target, path.join(config, 'env'));
    const db = openDatabase(path.join(dir, 'agentdesk2.db'));
    try {
      expect(() =>
        configureAgent({ dataDir: dir, instructions: new InstructionsRepository(db) }, row(id), {
          id,
          temperature: 0.5,
        }),
      ).toThrow(/config\/env is a symbolic link/);
      // Nothing half-done: the instructions were not stored either.
      expect(new InstructionsRepository(db).get(id).temperature).toBeNull();
    } finally {
      db.close();
    }
    expect(fs.readFileSync(target, 'utf8')).toBe("SECRET='x'\n");
  });
});
