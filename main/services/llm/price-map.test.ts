import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findPriceMapFile, loadPriceMap, priceOf } from './price-map';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-prices-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('loadPriceMap (parsed in a worker thread)', () => {
  it('keeps the models with a per-token price, 0 for the side that has none', async () => {
    const file = path.join(dir, 'prices.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        sample_spec: { input_cost_per_token: 'not a number' },
        'gpt-4o-mini': { input_cost_per_token: 1.5e-7, output_cost_per_token: 6e-7, mode: 'chat' },
        'only-output': { output_cost_per_token: 2e-6 },
        'image-model': { output_cost_per_image: 0.04 },
        broken: null,
      }),
    );
    const prices = await loadPriceMap(file);
    expect([...prices.keys()].sort()).toEqual(['gpt-4o-mini', 'only-output']);
    expect(priceOf(prices, 'openai/gpt-4o-mini')).toEqual({ input: 1.5e-7, output: 6e-7 });
    expect(prices.get('only-output')).toEqual({ input: 0, output: 2e-6 });
  });

  it('rejects a file that is not JSON, or missing, with the reason', async () => {
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, '{"a": ');
    await expect(loadPriceMap(bad)).rejects.toThrow(/JSON/);
    await expect(loadPriceMap(path.join(dir, 'none.json'))).rejects.toThrow(/ENOENT/);
  });

  it("reads LiteLLM's own map as a parse on this thread does", async () => {
    const venvLitellm = path.resolve(import.meta.dirname, '../../../.venv/litellm/bin/litellm');
    const file = findPriceMapFile(venvLitellm);
    if (!file) return expect(fs.existsSync(venvLitellm)).toBe(false); // no venv here: nothing to compare
    const prices = await loadPriceMap(file);
    const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, Record<string, unknown>>;
    const priced = Object.entries(raw).filter(
      ([, e]) => typeof e?.input_cost_per_token === 'number' || typeof e?.output_cost_per_token === 'number',
    );
    expect(prices.size).toBe(priced.length);
    expect(prices.size).toBeGreaterThan(100);
  });
});
