// Harness manifests and the registry: the shipped ones load; a broken or misplaced one is left out with a reason; create's refusals name what is supported.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configureAgent } from '../agents/agent-configure';
import { DEFAULT_INSTRUCTIONS, InstructionsRepository } from '../agents/agent-instructions';
import type { AgentRow } from '../agents/agent-repository';
import { openDatabase } from '../storage/database';
import { loadHarnesses } from '.';
import { acceptsModel, HarnessManifest } from './manifest';
import { harnessRefusal, HarnessRegistry } from './registry';

const registry = loadHarnesses();
const builtin = registry.get('builtin')!;
const raw = builtin.manifest as unknown as Record<string, unknown>;

describe('harness manifests', () => {
  it('loads every shipped harness folder, built-in first, each with its emoji, engines and memory', () => {
    expect(registry.errors).toEqual([]);
    expect(registry.ids()[0]).toBe('builtin');
    expect(registry.ids()).toEqual(expect.arrayContaining(['builtin', 'openclaw']));
    expect(builtin.manifest).toMatchObject({
      emoji: '🤖',
      image: 'agentdesk/agent-base:2',
      engines: ['docker', 'incus'],
      api_shapes: ['openai-chat'],
    });
    for (const h of registry.list()) {
      expect(h.manifest.memory.default_mib).toBeGreaterThanOrEqual(h.manifest.memory.min_mib);
      expect(h.dir).toMatch(new RegExp(`harnesses[\\\\/]${h.manifest.id}$`));
    }
  });

  it('leaves out a harness with a bad field, an id other than its folder, a taken id or no folder, saying why', () => {
    const r = new HarnessRegistry(
      {
        './bad/index.ts': { harness: { manifest: { ...raw, id: 'bad', api_shapes: ['smoke-signals'] } } },
        './other/index.ts': { harness: { manifest: raw } },
        './builtin/index.ts': { harness: { manifest: raw } },
        './empty/index.ts': {},
      },
      [{ manifest: raw, dir: '/tmp/x' }, { manifest: { ...raw, id: 'nodir' } }],
      '/opt/harnesses',
    );
    expect(r.ids()).toEqual(['builtin']);
    expect(r.get('builtin')?.dir).toBe('/opt/harnesses/builtin');
    const errors = r.errors.join('\n');
    expect(errors).toMatch(/"bad": its manifest is invalid \(api_shapes\.0: /);
    expect(errors).toMatch(/"other": its id "builtin" differs from its folder/);
    expect(errors).toMatch(/"empty": its index\.ts exports no `harness`/);
    expect(errors).toMatch(/the id "builtin" is taken by another harness/);
    expect(errors).toMatch(/"nodir": it must name its folder \(dir\)/);
  });

  it('refuses a default memory below the minimum, and a model pattern that is not one', () => {
    const bad = HarnessManifest.safeParse({ ...raw, memory: { min_mib: 512, default_mib: 256 } });
    expect(bad.success).toBe(false);
    expect(HarnessManifest.safeParse({ ...raw, models: ['no spaces/x y'] }).success).toBe(false);
  });

  it('accepts models by pattern: `*` is any run of characters, the rest is literal', () => {
    const m = { models: ['scripted/gpt-*', 'claude/claude-test'] };
    expect(acceptsModel(m, 'scripted/gpt-test-mini')).toBe(true);
    expect(acceptsModel(m, 'claude/claude-test')).toBe(true);
    expect(acceptsModel(m, 'claude/claude-testy')).toBe(false);
    expect(acceptsModel(m, 'xscripted/gpt-1')).toBe(false);
    expect(acceptsModel({ models: ['a.b/*'] }, 'aXb/c')).toBe(false);
    expect(acceptsModel({ models: 'any' }, 'anything/at-all')).toBe(true);
  });
});

describe('what a harness refuses at create', () => {
  const want = { engine: 'docker' as const, model: 'scripted/gpt-test-mini', fallbacks: [], memoryMib: 1024 };
  const openclaw = registry.get('openclaw')!;
  it('an engine it does not run on, naming the valid ones', () => {
    expect(harnessRefusal(openclaw, { ...want, engine: 'incus', memoryMib: 2048 })).toBe(
      'runtime: OpenClaw does not run on incus; valid runtime for openclaw: docker',
    );
  });

  it('a model outside its patterns (the model or a fallback), naming what it supports', () => {
    const only = { ...builtin, manifest: { ...builtin.manifest, models: ['claude/*'] } };
    expect(harnessRefusal(only, want)).toBe(
      'model: Agent Desk runtime does not support the model "scripted/gpt-test-mini"; it supports models matching claude/*',
    );
    expect(harnessRefusal(only, { ...want, model: 'claude/x', fallbacks: ['scripted/y'] })).toMatch(
      /^fallbacks\.0: .*"scripted\/y"/,
    );
  });

  it('an embedding model, for every harness', () => {
    expect(harnessRefusal(builtin, { ...want, model: 'ollama/nomic-embed-text' })).toBe(
      'model: "ollama/nomic-embed-text" is an embedding model; Agent Desk runtime needs a chat model',
    );
  });

  it('a memory limit below its minimum, naming the minimum and the default', () => {
    expect(harnessRefusal(openclaw, { ...want, memoryMib: 1024 })).toBe(
      `memory_mib: OpenClaw needs at least ${openclaw.manifest.memory.min_mib} MiB (its processes are killed by the kernel below that); got 1024, default ${openclaw.manifest.memory.default_mib}`,
    );
    expect(harnessRefusal(builtin, want)).toBeNull();
  });
});

describe("an agent's own instructions and its harness", () => {
  const want = { engine: 'docker' as const, model: 'scripted/gpt-test-mini', fallbacks: [], memoryMib: 4096 };
  it('only the built-in runtime applies a system prompt, temperature and tools switch; the others say so', () => {
    const applies = registry
      .list()
      .filter((h) => h.manifest.instructions)
      .map((h) => h.manifest.id);
    expect(applies).toEqual(['builtin']);
    expect(registry.get('claude-code')!.manifest.instructions).toBe(false);
  });

  it('are refused at create for a harness that applies none (not silently ignored), accepted for the built-in one', () => {
    for (const id of ['openclaw', 'claude-code', 'codex']) {
      expect(harnessRefusal(registry.get(id)!, { ...want, instructions: true })).toMatch(
        /^system_prompt: .* brings its own system prompt and tools and applies no other/,
      );
      expect(harnessRefusal(registry.get(id)!, { ...want, instructions: false })).toBeNull();
    }
    expect(harnessRefusal(builtin, { ...want, instructions: true })).toBeNull();
  });

  it('are refused by agents.configure for such a harness, and nothing is written or stored', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-instr-harness-'));
    const db = openDatabase(path.join(dir, 'agentdesk.db'));
    try {
      const instructions = new InstructionsRepository(db);
      const id = '11111111-2222-4333-8444-555555555555';
      const row = { id, phase: 'stopped', harness: 'claude-code' } as AgentRow;
      expect(() =>
        configureAgent({ dataDir: dir, instructions, harnesses: registry }, row, {
          id,
          system_prompt: 'Be terse.',
        }),
      ).toThrow(
        "Claude Code brings its own system prompt and tools and applies no other: this agent's instructions cannot be set",
      );
      expect(instructions.get(id)).toEqual(DEFAULT_INSTRUCTIONS);
      expect(fs.existsSync(path.join(dir, 'agents', id))).toBe(false);
    } finally {
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
