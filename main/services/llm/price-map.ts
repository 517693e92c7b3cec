// USD per token from LiteLLM's own price map (the JSON shipped in its package), to cost streamed calls.
import fs from 'node:fs';
import path from 'node:path';

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
 * Prices by LiteLLM model name, read from the price map JSON (≈3 MB; parsed once, off the request path).
 * Entries without per-token prices are skipped.
 * @throws Error when the file cannot be read or parsed.
 */
export async function loadPriceMap(file: string): Promise<Map<string, Price>> {
  const raw = JSON.parse(await fs.promises.readFile(file, 'utf8')) as Record<string, Record<string, unknown>>;
  const out = new Map<string, Price>();
  for (const [name, entry] of Object.entries(raw)) {
    const input = entry?.input_cost_per_token;
    const output = entry?.output_cost_per_token;
    if (typeof input === 'number' || typeof output === 'number')
      out.set(name, {
        input: typeof input === 'number' ? input : 0,
        output: typeof output === 'number' ? output : 0,
      });
  }
  return out;
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
