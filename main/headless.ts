// Entry of `agentdesk` without Electron (serve, status, …): never imports electron.
import { runCli } from './cli/index';
import { resolveOptions } from './platform/paths';

void runCli(process.argv, resolveOptions(process.env));
