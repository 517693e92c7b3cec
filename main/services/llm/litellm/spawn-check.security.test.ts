// Attacker's side: a LiteLLM command spoiled after it was chosen (writable by others) is checked again right before each spawn and never run.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { until } from '../../../../test/agents';
import { LitellmProcess } from './process';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('LitellmProcess', () => {
  it('refuses to spawn a program others can write, with the reason as its last error; the program never runs', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-spawncheck-'));
    dirs.push(dir);
    const marker = path.join(dir, 'ran');
    const command = path.join(dir, 'litellm');
    fs.writeFileSync(command, `#!/bin/sh\necho ran > '${marker}'\nexec sleep 60\n`, { mode: 0o755 });
    fs.chmodSync(command, 0o777); // spoiled after LlmService chose it
    const redactor = { add: () => {}, remove: () => {}, scrub: (s: string) => s };
    const proc = new LitellmProcess({
      parentEnv: process.env,
      command,
      configFile: path.join(dir, 'config.yaml'),
      workDir: dir,
      keys: {},
      redactor,
      backoff: { initialMs: 50, maxMs: 100 },
    });
    proc.start();
    try {
      const st = await until(
        () => proc.supervisor.status(),
        (s) => (s.lastError ?? '').includes('Refusing to run') && s.restarts >= 1,
        30_000,
        'the refusal, twice (first start and one restart)',
      );
      expect(st.lastError).toContain(`Refusing to run ${command}`);
      expect(st.lastError).toContain('writable by other users (mode 0777)');
      expect(st.lastError).toContain(`chmod go-w ${command}`);
      expect(st.pid).toBeNull();
      expect(fs.existsSync(marker)).toBe(false);
    } finally {
      await proc.stop();
    }
  });
});
