// A deploy that reaches the egress attach while the core is still deciding whether egress can be enforced waits for that decision.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../platform/logging';
import { openDatabase } from '../storage/database';
import { EgressService, EgressUnavailableError } from './egress-service';
import { Iptables } from './iptables';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-egress-init-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** iptables whose probe answers after `ms` with `reason` (a slow first iptables call, as at a core's start). */
class SlowProbe extends Iptables {
  constructor(
    private readonly ms: number,
    private readonly reason: string,
  ) {
    super({});
  }
  override async probe(): Promise<string | null> {
    await new Promise((r) => setTimeout(r, this.ms));
    return this.reason;
  }
}

describe('egress attach during init', () => {
  it('waits for init to decide, then reports the real reason (not "not started")', async () => {
    const db = openDatabase(path.join(dir, 'agentdesk.db'));
    const egress = new EgressService({
      db,
      instanceId: 'testinit',
      runtimes: {},
      agents: () => [],
      gatewayPort: () => 0,
      record: () => undefined,
      log: createLogger({ dir: null, level: 'silent' }),
      env: {},
      iptables: new SlowProbe(300, 'iptables cannot be used here (test)'),
      checkIntervalMs: 0,
    });
    try {
      const init = egress.init();
      // As a deploy started right after the core: attach is called while the probe is still running.
      const attached = egress.attach('11111111-2222-4333-8444-555555555555', 'docker', 'agentdesk-x', false);
      await expect(attached).rejects.toBeInstanceOf(EgressUnavailableError);
      await expect(attached).rejects.toThrow(
        "The agent's egress policy cannot be enforced: iptables cannot be used here (test)",
      );
      await init;
      expect(egress.status()).toEqual({ enforced: false, reason: 'iptables cannot be used here (test)' });
    } finally {
      egress.shutdown();
      db.close();
    }
  });
});
