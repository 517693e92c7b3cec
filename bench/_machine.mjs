// Shared helpers for benchmarks: machine description, percentiles, result file writing.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A short description of the machine a result was measured on. */
export function machine() {
  return {
    cpus: os.cpus().length,
    cpu_model: os.cpus()[0]?.model ?? 'unknown',
    memory_gb: Math.round(os.totalmem() / 1024 ** 3),
    platform: `${process.platform}-${process.arch}`,
    node: process.version,
  };
}

/** The p-th percentile (0–100) of `values` (nearest rank). */
export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Writes bench/results/<name>.json and prints it. */
export function writeResult(name, result) {
  const dir = path.join(import.meta.dirname, 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.json`);
  const body = { name, measured_at: new Date().toISOString(), machine: machine(), ...result };
  fs.writeFileSync(file, JSON.stringify(body, null, 2) + '\n');
  console.log(JSON.stringify(body, null, 2));
  console.log(`→ ${path.relative(process.cwd(), file)}`);
}

/** Rounds to 0.1. */
export const r1 = (x) => Math.round(x * 10) / 10;
