// Entry of harness-codex.cjs (mounted at /opt/agentdesk/runtime): the Codex CLI behind the Agent Desk runtime protocol on :8100.
import { loadConfig } from '../../../../resources/agent-runtime/src/config';
import { runCliAdapter } from '../cli-adapter/server';
import { codexDriver } from './drive';

runCliAdapter(codexDriver, process.env, loadConfig);
