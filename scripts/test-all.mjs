#!/usr/bin/env node
// `npm test`: everything CI runs — typecheck, lint, build, unit+integration tests, E2E — then one summary line.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const reports = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-'));
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const steps = [
  ['typecheck', bin('tsc'), ['-p', 'tsconfig.node.json', '--noEmit']],
  ['typecheck (web)', bin('tsc'), ['-p', 'tsconfig.web.json', '--noEmit']],
  ['lint', bin('eslint'), ['.']],
  ['format', bin('prettier'), ['--check', '.']],
  ['build', bin('electron-vite'), ['build']],
  ['build (agent runtime)', process.execPath, [path.join(root, 'scripts', 'build-runtime.mjs')]],
  [
    'unit and integration tests',
    bin('vitest'),
    [
      'run',
      '--project',
      'unit',
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${path.join(reports, 'unit.json')}`,
    ],
  ],
  [
    'e2e tests',
    bin('vitest'),
    [
      'run',
      '--project',
      'e2e',
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${path.join(reports, 'e2e.json')}`,
    ],
  ],
];

const only = process.argv.slice(2);
let failedSteps = [];
for (const [name, cmd, args] of steps) {
  if (only.length && !only.some((o) => name.startsWith(o))) continue;
  const t0 = Date.now();
  process.stdout.write(`\n=== ${name} ===\n`);
  const r = spawnSync(cmd, args, {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, VITE_CONFIG_NATIVE_IGNORE_WARNING: 'true' },
  });
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  if (r.status !== 0) {
    failedSteps.push(name);
    process.stdout.write(`=== ${name}: FAILED (exit ${r.status ?? r.signal}) in ${secs} s ===\n`);
  } else process.stdout.write(`=== ${name}: ok in ${secs} s ===\n`);
}

let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of ['unit.json', 'e2e.json']) {
  const p = path.join(reports, file);
  if (!fs.existsSync(p)) continue;
  const j = JSON.parse(fs.readFileSync(p, 'utf8'));
  passed += j.numPassedTests ?? 0;
  failed +=
    (j.numFailedTests ?? 0) +
    (j.testResults ?? []).filter((t) => t.status === 'failed' && (t.assertionResults ?? []).length === 0)
      .length;
  skipped += (j.numPendingTests ?? 0) + (j.numTodoTests ?? 0);
}
// Steps that are not test runners (typecheck, lint, build) count as one failed test each when they fail.
failed += failedSteps.filter((s) => !s.endsWith('tests')).length;
fs.rmSync(reports, { recursive: true, force: true });
if (failedSteps.length) process.stdout.write(`\nFailed steps: ${failedSteps.join(', ')}\n`);
process.stdout.write(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
process.exit(failedSteps.length ? 1 : 0);
