// Benchmark host: gateways wired as the core wires them (agent budgets and rate, llm_call records to the JSONL log
// and the agent's trace), one in front of LiteLLM serving one provider, one straight in front of the upstream.
// Prints one JSON line when ready; stops when stdin closes.
// Usage: node _gateway-host.mjs <upstream url> <upstream key> [--no-litellm]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

const kit = createRequire(import.meta.url)(
  path.resolve(import.meta.dirname, '..', 'out', 'main', 'llm-kit.js'),
);
const [upstream, upstreamKey, ...flags] = process.argv.slice(2);
const withLitellm = !flags.includes('--no-litellm');
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-bench-gw-'));
const db = kit.openDatabase(path.join(home, 'agentdesk.db'));
const keys = new kit.VirtualKeys(db);
const redactor = new kit.SecretRedactor();
const log = kit.createLogger({ dir: path.join(home, 'logs'), redactor, level: 'warn' });

// The owner of the key is an agent (a row in `agents`, as the core has), with a trace folder, and limits high
// enough never to refuse the benchmark: who may call, the rate and the budgets are still checked and a
// reservation made on every call, by the same code as in the core (main/app/tasks-wiring.ts, bootstrap.ts).
const AGENT = 'agt_bench';
const traceDir = path.join(home, 'agents', AGENT, 'trace');
fs.mkdirSync(traceDir, { recursive: true });
const agents = new kit.AgentRepository(db);
const now = Date.now();
agents.insert({
  id: AGENT,
  slug: 'bench',
  name: 'bench',
  emoji: '🤖',
  harness: 'builtin',
  runtime: 'docker',
  model: 'bench/bench-model',
  fallbacks: '[]',
  memory_mib: 512,
  cpus: 1,
  phase: 'running',
  phase_reason: null,
  phase_at: now,
  failed_log: '[]',
  container: 'agentdesk-bench',
  runtime_port: null,
  key_id: null,
  created_at: now,
  running_since: now,
  archive_dir: null,
  runtime_endpoint: null,
  pids_limit: 256,
  folders: '[]',
});
const settings = new kit.SettingsStore(db);
settings.load();
const budgets = kit.wireBudgets({ db, settings, bus: new kit.EventBus(), agentOf: (id) => agents.brief(id) });
budgets.limits.set(AGENT, { usd_day: 1e9, usd_month: 1e9, rpm: 1e9 });
const budget = budgets.guard;
const ledger = budgets.ledger;
const recorder = new kit.TraceRecorder({
  traceDirOf: (id) => (id === AGENT ? traceDir : null),
  allTraceDirs: () => [traceDir],
  log,
  maintenanceMs: 0,
});
const sink =
  process.env.XSINK === 'memory'
    ? new kit.MemoryLlmCallSink()
    : process.env.XSINK === 'jsonl'
      ? new kit.JsonlLlmCallSink(path.join(home, 'logs', 'llm-calls.jsonl'))
      : new kit.TracingLlmCallSink(
          new kit.JsonlLlmCallSink(path.join(home, 'logs', 'llm-calls.jsonl')),
          recorder,
          new kit.TurnWindows(),
          log,
        );
/** A flat price (USD per token) so the reservation and the settle have a cost to count, as with a priced model. */
const cost = (_model, tin, tout) => tin * 1e-7 + tout * 4e-7;

let llm = null;
let command = null;
if (withLitellm) {
  command = kit.resolveLitellmCommand({
    setting: null,
    appRoot: kit.appRoot(),
    dataDir: home,
    env: process.env,
  });
  if (!command) {
    console.error('LiteLLM is not installed (scripts/bootstrap-linux.sh)');
    process.exit(2);
  }
  llm = new kit.LlmService({
    home,
    resolveCommand: () => command,
    source: {
      snapshot: async () => ({
        providers: [
          {
            providerId: 'bench',
            type: 'openai-compatible',
            prefix: 'openai/',
            apiBase: `${upstream}/v1`,
            keyless: false,
            models: ['bench-model'],
          },
        ],
        keys: { AGENTDESK_KEY_BENCH: upstreamKey },
        notes: [],
      }),
    },
    keys,
    sink,
    traceSink: new kit.RecorderAgentTraceSink(recorder),
    redactor,
    env: process.env,
    log,
    gateway: { port: 0, budget },
  });
  await llm.init();
  await llm.reload();
  await llm.active.proc.whenReady();
}
const u = new URL(upstream);
await kit.loadUpstreamClient(); // LitellmProcess does it before spawning LiteLLM; the isolated gateway has none
const isolatedTarget = {
  host: u.hostname,
  port: Number(u.port),
  masterKey: upstreamKey,
  dispatcher: kit.upstreamAgent(),
  inflight: 0,
};
const isolated = new kit.Gateway({
  binds: ['127.0.0.1'],
  port: 0,
  keys,
  sink,
  budget: process.env.XBUDGET === '0' ? undefined : budget,
  cost,
  scrub: (s) => redactor.scrub(s),
  target: () => isolatedTarget,
  unavailable: () => ({ message: 'n/a', retryAfterS: null }),
  log,
});
await isolated.start();
const { key } = keys.mint({ owner: AGENT, models: ['*'] });
const target = llm?.target();
console.log(
  JSON.stringify({
    litellm: target ? `http://127.0.0.1:${target.port}` : null,
    masterKey: target?.masterKey ?? null,
    gateway: llm ? `http://127.0.0.1:${llm.gateway.port}` : null,
    isolated: `http://127.0.0.1:${isolated.port}`,
    key,
    litellmVersion: command?.version ?? null,
  }),
);
process.stdin.resume();
process.stdin.on('end', async () => {
  await isolated.stop();
  await llm?.shutdown();
  await sink.close?.();
  await recorder.close();
  keys.flush();
  ledger.flush();
  db.close();
  fs.rmSync(home, { recursive: true, force: true });
  process.exit(0);
});
