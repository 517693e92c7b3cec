// Benchmark host: the built LLM kit (out/main/llm-kit.js) serving one provider through LiteLLM and the gateway,
// plus a second gateway forwarding straight to the upstream (to isolate the gateway's own cost).
// Prints one JSON line when ready; stops when stdin closes. Usage: node _gateway-host.mjs <upstream url> <upstream key>
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

const kit = createRequire(import.meta.url)(
  path.resolve(import.meta.dirname, '..', 'out', 'main', 'llm-kit.js'),
);
const [upstream, upstreamKey] = process.argv.slice(2);
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-bench-gw-'));
const db = kit.openDatabase(path.join(home, 'agentdesk.db'));
const keys = new kit.VirtualKeys(db);
const redactor = new kit.SecretRedactor();
const log = kit.createLogger({ dir: path.join(home, 'logs'), redactor, level: 'warn' });
const command = kit.resolveLitellmCommand({ setting: null, appRoot: kit.appRoot(), dataDir: home });
if (!command) {
  console.error('LiteLLM is not installed (scripts/bootstrap-linux.sh)');
  process.exit(2);
}
const llm = new kit.LlmService({
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
  sink: new kit.MemoryLlmCallSink(),
  redactor,
  log,
  gateway: { port: 0 },
});
await llm.init();
await llm.reload();
await llm.active.proc.whenReady();
const target = llm.target();
const u = new URL(upstream);
const isolatedTarget = {
  host: u.hostname,
  port: Number(u.port),
  masterKey: upstreamKey,
  agent: new http.Agent({ keepAlive: true, maxSockets: Infinity, noDelay: true }),
  inflight: 0,
};
const isolated = new kit.Gateway({
  binds: ['127.0.0.1'],
  port: 0,
  keys,
  sink: new kit.MemoryLlmCallSink(),
  target: () => isolatedTarget,
  unavailable: () => ({ message: 'n/a', retryAfterS: null }),
  log,
});
await isolated.start();
const { key } = keys.mint({ owner: 'bench', models: ['*'] });
console.log(
  JSON.stringify({
    litellm: `http://127.0.0.1:${target.port}`,
    masterKey: target.masterKey,
    gateway: `http://127.0.0.1:${llm.gateway.port}`,
    isolated: `http://127.0.0.1:${isolated.port}`,
    key,
    litellmVersion: command.version,
  }),
);
process.stdin.resume();
process.stdin.on('end', async () => {
  await isolated.stop();
  await llm.shutdown();
  db.close();
  fs.rmSync(home, { recursive: true, force: true });
  process.exit(0);
});
