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

/** Rounds to 0.01. */
export const r2 = (x) => Math.round(x * 100) / 100;

/**
 * Distribution of `values` (e.g. per-pair differences, ms): sample count, mean, standard deviation,
 * p10/p25/p50/p75/p90/p99 (nearest rank) and the interquartile range, rounded to 0.01.
 */
export function spread(values) {
  const n = values.length;
  const mean = values.reduce((s, v) => s + v, 0) / n;
  const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / Math.max(1, n - 1));
  const p = (q) => r2(percentile(values, q));
  return {
    n,
    mean: r2(mean),
    sd: r2(sd),
    p10: p(10),
    p25: p(25),
    p50: p(50),
    p75: p(75),
    p90: p(90),
    p99: p(99),
    iqr: r2(percentile(values, 75) - percentile(values, 25)),
  };
}

/**
 * The machine's 1-minute load average sampled every second while a benchmark runs (other helpers share
 * this 2-core machine): `stop()` returns `{before, max, mean, after}`.
 */
export function watchLoad() {
  const before = os.loadavg()[0];
  const samples = [];
  const timer = setInterval(() => samples.push(os.loadavg()[0]), 1000).unref();
  return {
    stop() {
      clearInterval(timer);
      const after = os.loadavg()[0];
      samples.push(after);
      return {
        before: r1(before),
        max: r1(Math.max(before, ...samples)),
        mean: r1(samples.reduce((s, v) => s + v, 0) / samples.length),
        after: r1(after),
        cores: os.cpus().length,
      };
    },
  };
}

/** CPU time (user + system, all threads) a process has used so far, ms, from /proc/<pid>/stat. */
export function cpuMs(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of proc(5) (utime, stime) are at 11 and 12 after the command name; in clock ticks (100 Hz).
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** RSS of a process, MB, from /proc/<pid>/status. */
export function rssMb(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024;
}
