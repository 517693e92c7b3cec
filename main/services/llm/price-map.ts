// USD per token from LiteLLM's own price map (the JSON shipped in its package), to cost streamed calls.
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../../platform/logging';
import type { ServedModel } from './litellm/config';

/** Input and output price of one model, USD per token. */
export interface Price {
  input: number;
  output: number;
}

/**
 * Finds `model_prices_and_context_window_backup.json` in the venv of a `litellm` command
 * (`<venv>/bin/litellm` → `<venv>/lib/python3.*\/site-packages/litellm/`). This is the map LiteLLM
 * itself uses with LITELLM_LOCAL_MODEL_COST_MAP=True, so prices match its version.
 * @returns the file, or `null` when the command is not in a venv layout.
 */
export function findPriceMapFile(command: string): string | null {
  const lib = path.join(path.dirname(path.dirname(command)), 'lib');
  try {
    for (const py of fs.readdirSync(lib)) {
      const file = path.join(
        lib,
        py,
        'site-packages',
        'litellm',
        'model_prices_and_context_window_backup.json',
      );
      if (fs.existsSync(file)) return file;
    }
  } catch {
    /* not a venv */
  }
  return null;
}

/**
 * The parse of the price map, run in a worker thread: the file is about 3 MB of JSON, and parsing it on the
 * main thread blocked the core's event loop for about 80 ms of its start (a CPU profile of a core restart
 * with a provider). The worker posts back only `[name, input, output]` rows, or `{ error }`.
 */
const PARSE_IN_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
try {
  const raw = JSON.parse(fs.readFileSync(workerData, 'utf8'));
  const rows = [];
  for (const [name, entry] of Object.entries(raw)) {
    const input = entry && entry.input_cost_per_token;
    const output = entry && entry.output_cost_per_token;
    if (typeof input === 'number' || typeof output === 'number')
      rows.push([name, typeof input === 'number' ? input : 0, typeof output === 'number' ? output : 0]);
  }
  parentPort.postMessage({ rows });
} catch (err) {
  parentPort.postMessage({ error: String((err && err.message) || err) });
}
`;

/**
 * Prices by LiteLLM model name, read from the price map JSON (≈3 MB; parsed once in a worker thread, off
 * the main thread and the request path). Entries without per-token prices are skipped.
 * @throws Error when the file cannot be read or parsed, or the worker fails.
 */
export function loadPriceMap(file: string): Promise<Map<string, Price>> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(PARSE_IN_WORKER, { eval: true, workerData: file });
    worker.unref();
    let settled = false;
    worker.once('message', (m: { rows?: [string, number, number][]; error?: string }) => {
      settled = true;
      if (m.error !== undefined || !m.rows) reject(new Error(m.error ?? 'no answer'));
      else resolve(new Map(m.rows.map(([name, input, output]) => [name, { input, output }])));
      void worker.terminate();
    });
    worker.once('error', (err) => {
      if (!settled) reject(err);
      settled = true;
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`the price map worker exited with ${code}`));
      settled = true;
    });
  });
}

/**
 * The price of a LiteLLM model (`<prefix><model-id>`, e.g. `openai/gpt-4o-mini`): the map's entry for the
 * full name, else for the model id without the prefix (OpenAI and Anthropic entries are unprefixed).
 */
export function priceOf(prices: Map<string, Price>, litellmModel: string): Price | null {
  const direct = prices.get(litellmModel);
  if (direct) return direct;
  const slash = litellmModel.indexOf('/');
  return slash > 0 ? (prices.get(litellmModel.slice(slash + 1)) ?? null) : null;
}

/** LiteLLM's price map, loaded once in the background, priced by served model name. */
export class PriceBook {
  private prices: Map<string, Price> | null = null;
  private loading = false;

  /** Loads the map of the venv of `command` once (later calls do nothing); a failure is logged, never thrown. */
  async load(command: string, log: Logger): Promise<void> {
    if (this.prices || this.loading) return;
    const file = findPriceMapFile(command);
    if (!file) return;
    this.loading = true;
    try {
      this.prices = await loadPriceMap(file);
    } catch (err) {
      log.warn({ err, file }, 'could not read LiteLLM price map; costs of streamed calls stay unknown');
    } finally {
      this.loading = false;
    }
  }

  /**
   * USD of a call to `model` (a served name, looked up in `served`) from its tokens: 0 for a model of a
   * local server (nothing is looked up); `null` when the model or its price is unknown (or the map is
   * not loaded yet).
   */
  cost(
    served: readonly ServedModel[] | undefined,
    model: string,
    tokensIn: number,
    tokensOut: number,
  ): number | null {
    const m = served?.find((x) => x.name === model);
    if (m?.local) return 0;
    const price = m && this.prices ? priceOf(this.prices, m.litellmModel) : null;
    return price ? tokensIn * price.input + tokensOut * price.output : null;
  }
}
