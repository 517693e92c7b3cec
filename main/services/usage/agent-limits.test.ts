// Agent limits are read on every gateway call and kept in memory: a change must count on the very next call.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../storage/database';
import type { Db } from '../storage/database';
import { AgentLimitsStore } from './agent-limits';
import type { LimitDefaults } from './agent-limits';

let dir: string;
let db: Db;
let defaults: LimitDefaults;
let limits: AgentLimitsStore;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-limits-'));
  db = openDatabase(path.join(dir, 'agentdesk.db'));
  defaults = { default_budget_day_usd: 5, default_budget_month_usd: 50, default_rpm: 60 };
  limits = new AgentLimitsStore(db, () => defaults);
});
afterEach(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('AgentLimitsStore', () => {
  it("an agent's own limit, set or returned to the default, counts at once", () => {
    expect(limits.get('a').usd_day).toBe(5);
    limits.set('a', { usd_day: 1 });
    expect(limits.get('a')).toMatchObject({ usd_day: 1, defaults: { usd_day: false } });
    limits.set('a', { usd_day: null });
    expect(limits.get('a')).toMatchObject({ usd_day: 5, defaults: { usd_day: true } });
  });

  it('new Settings defaults (a new settings object) count at once for agents without their own', () => {
    expect(limits.get('a').rpm).toBe(60);
    defaults = { ...defaults, default_rpm: 2 };
    expect(limits.get('a').rpm).toBe(2);
  });

  it('the answer kept between calls cannot be changed by a caller', () => {
    const l = limits.get('a');
    expect(() => {
      (l as { usd_day: number }).usd_day = 1e9;
    }).toThrow(TypeError);
    expect(limits.get('a').usd_day).toBe(5);
  });
});
