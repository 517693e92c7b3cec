// A deploy that reaches the egress attach while the core is still deciding whether egress can be enforced waits for that decision.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../platform/logging';
import { openDatabase } from '../storage/database';
import { EgressService, EgressUnavailableError } from './egress-service';
import { Runtimes } from '../runtimes/runtimes';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-egress-init-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A helper container that takes `ms` to fail with `reason` (a slow first start, as at a core's start). */
function slowHelper(ms: number, reason: string): () => Promise<never> {
  return () => new Promise((_, reject) => setTimeout(() => reject(new Error(reason)), ms));
}

describe('egress attach during init', () => {
  it('waits for init to decide, then reports the real reason (not "not started")', async () => {
    const db = openDatabase(path.join(dir, 'agentdesk.db'));
    const egress = new EgressService({
      db,
      instanceId: 'testinit',
      runtimes: new Runtimes({}),
      agents: () => [],
      gatewayPort: () => 0,
      record: () => undefined,
      log: createLogger({ dir: null, level: 'silent' }),
      env: { AGENTDESK_EGRESS: 'helper' },
      helper: slowHelper(300, 'helper refused (test)'),
      checkIntervalMs: 0,
    });
    try {
      const init = egress.init();
      // As a deploy started right after the core: attach is called while the probe is still running.
      const attached = egress.attach('11111111-2222-4333-8444-555555555555', 'docker', 'agentdesk-x', false);
      await expect(attached).rejects.toBeInstanceOf(EgressUnavailableError);
      await expect(attached).rejects.toThrow(
        "The agent's egress policy cannot be enforced: not tried (AGENTDESK_EGRESS=helper); and the egress helper container could not be used: helper refused (test)",
      );
      await init;
      expect(egress.status()).toMatchObject({ enforced: false, enforcement: 'unavailable' });
    } finally {
      egress.shutdown();
      db.close();
    }
  });
});
