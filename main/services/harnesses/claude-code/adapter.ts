// Entry of harness-claude-code.cjs (mounted at /opt/agentdesk/runtime): Claude Code behind the Agent Desk runtime protocol on :8100.
import { loadConfig } from '../../../../resources/agent-runtime/src/config';
import { runCliAdapter } from '../cli-adapter/server';
import { claudeCodeDriver } from './drive';

runCliAdapter(claudeCodeDriver, process.env, loadConfig);
