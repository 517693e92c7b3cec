// Entry of `agentdesk` without Electron (serve, status, …): never imports electron.
import { runCli } from './cli/index';

void runCli(process.argv);
