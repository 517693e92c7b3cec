// Framework manifests: the shipped ones load; a broken one is skipped with a reason.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadFrameworks, toFramework } from './frameworks';

describe('frameworks', () => {
  it('loads the shipped builtin manifest', () => {
    const { frameworks, errors } = loadFrameworks(path.join(process.cwd(), 'resources', 'frameworks'));
    expect(errors).toEqual([]);
    const b = frameworks.get('builtin');
    expect(b && toFramework(b)).toMatchObject({
      id: 'builtin',
      emoji: '🤖',
      image: 'agentdesk/agent-base:2',
    });
    expect(b?.model_apis).toContain('openai-chat');
  });

  it('skips a manifest with a bad field or an id that differs from its folder, and says why', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-fw-'));
    try {
      const good = JSON.parse(
        fs.readFileSync(path.join(process.cwd(), 'resources/frameworks/builtin/manifest.json'), 'utf8'),
      ) as Record<string, unknown>;
      fs.mkdirSync(path.join(dir, 'bad'));
      fs.writeFileSync(
        path.join(dir, 'bad', 'manifest.json'),
        JSON.stringify({ ...good, id: 'bad', model_apis: ['smoke-signals'] }),
      );
      fs.mkdirSync(path.join(dir, 'other'));
      fs.writeFileSync(path.join(dir, 'other', 'manifest.json'), JSON.stringify(good));
      const { frameworks, errors } = loadFrameworks(dir);
      expect(frameworks.size).toBe(0);
      expect(errors.join('\n')).toMatch(/bad[\\/]manifest\.json.*model_apis/s);
      expect(errors.join('\n')).toMatch(/differs from its folder "other"/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
