// A valid example input for every contract method: the both-transports test calls each one.
import type { Channel } from '../contract/api';

/**
 * One valid input per channel, called in table order on one fresh core: `providers.add` creates the
 * keyless provider `example` (no keychain needed, pointing at the discard port 9 where nothing listens)
 * that `get`/`edit`/`test`/`models` use and `remove` removes (`test` answers `probe.ok=false`, not an error).
 * `llm.testModel` answers `ok: false` (no provider has models, so LiteLLM is idle).
 * Typed as a full record so adding a method to the contract without an example here does not
 * compile (and the transport tests would miss it).
 */
/** An agent id no core has. */
const NO_AGENT = '00000000-0000-4000-8000-000000000000';
/** A task (and run) id no core has. */
const NO_TASK = '00000000-0000-4000-8000-000000000001';

export const EXAMPLE_INPUTS: Record<Channel, unknown> = {
  'system.health': {},
  'system.info': {},
  'setup.status': {},
  // `use-docker` only sets the runtime setting to its default; `provision-litellm` would run pip.
  'setup.fix': { action: 'use-docker' },
  'setup.complete': {},
  'settings.get': {},
  'settings.update': { theme: 'dark' },
  'providers.catalog': {},
  'providers.discover': {},
  'providers.list': {},
  'providers.add': {
    type: 'openai-compatible',
    name: 'Example',
    base_url: 'http://127.0.0.1:9/v1',
    probe: false,
  },
  'providers.get': { id: 'example' },
  'providers.edit': { id: 'example', name: 'Example (renamed)' },
  'providers.test': { id: 'example' },
  'providers.models': { id: 'example' },
  'providers.remove': { id: 'example' },
  'providers.network': {},
  'llm.status': {},
  'llm.testModel': { model: 'example/none' },
  // No provider is left, so `create` answers INVALID_INPUT listing none; the others NOT_FOUND.
  'agents.list': {},
  'agents.create': { name: 'Example agent', model: 'example/none' },
  'agents.get': { id: NO_AGENT },
  'agents.start': { id: NO_AGENT },
  'agents.stop': { id: NO_AGENT },
  'agents.restart': { id: NO_AGENT },
  'agents.configure': { id: NO_AGENT, temperature: 0 },
  'agents.logs': { id: NO_AGENT, tail: 10 },
  'agents.archive': { id: NO_AGENT },
  'agents.restore': { id: NO_AGENT },
  'agents.chat': { id: NO_AGENT, text: 'hello' },
  'agents.threads': { id: NO_AGENT },
  'agents.thread': { id: NO_AGENT, thread_id: 'thread-1' },
  'agents.cancel': { id: NO_AGENT, thread_id: 'thread-1' },
  'agents.purge': { id: NO_AGENT },
  'agents.policy': { id: NO_AGENT, egress: 'allowlist', allow: ['api.example.com:443'] },
  'agents.folders': { id: NO_AGENT, add: [{ path: '/nonexistent-example', mode: 'ro' }] },
  'agents.limits': { id: NO_AGENT, memory_mib: 2048 },
  'traces.list': { agent_id: NO_AGENT, kinds: ['message_in', 'llm_call'], limit: 10 },
  // No agent is left, so every live agent's totals of that day are an empty list.
  'traces.totals': { day: '2024-05-01' },
  'harnesses.list': {},
  'images.status': {},
  // The transport tests point AGENTDESK_IMAGE_RECIPE_DIR at a missing folder: `build` is refused at once.
  'images.build': { runtimes: ['docker'] },
  'images.export': { file: '/nonexistent-agentdesk/base.tar' },
  'images.import': { file: '/nonexistent-agentdesk/base.tar' },
  // No agent exists: `create` answers NOT_FOUND, the others NOT_FOUND or empty lists.
  'tasks.list': {},
  'tasks.get': { id: NO_TASK },
  'tasks.create': {
    agent_id: NO_AGENT,
    prompt: 'Say hello',
    trigger: { kind: 'cron', cron: '0 9 * * 1-5', tz: 'Europe/Paris' },
  },
  'tasks.update': { id: NO_TASK, enabled: false },
  'tasks.remove': { id: NO_TASK },
  'tasks.setEnabled': { id: NO_TASK, enabled: true },
  'tasks.run': { id: NO_TASK },
  'tasks.cancel': { run_id: NO_TASK },
  'tasks.history': { limit: 10 },
  'tasks.rotateSecret': { id: NO_TASK },
  'usage.summary': { since: '2024-05-01' },
  'usage.limits': {},
  'usage.setLimits': { agent_id: NO_AGENT, usd_day: 2 },
  // A Docker engine over SSH to the discard port: stored, refused or unreachable when probed, then removed.
  'engines.list': {},
  'engines.add': {
    id: 'example',
    name: 'Example',
    kind: 'docker',
    transport: 'ssh',
    ssh: { user: 'deploy', host: '127.0.0.1', port: 9 },
  },
  'engines.test': { id: 'example' },
  'engines.members': { id: 'example' },
  'engines.remove': { id: 'example' },
};
