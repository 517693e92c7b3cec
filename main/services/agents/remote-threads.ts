// The chat threads of an agent whose home is on a remote engine: copied out of its container into a
// core-only folder before they are listed or read, so the chat relay reads them as it reads a local home.
import fs from 'node:fs';
import path from 'node:path';
import type { ContainerRuntime } from '../runtimes/container-runtime';
import { THREADS_LISTED_MAX, THREADS_READ_MAX_BYTES } from './chat-relay-io';

/** Where the runtime keeps its thread files inside the container (resources/agent-runtime/PROTOCOL.md). */
export const THREADS_IN_CONTAINER = '/home/agent/.agentdesk/threads';

/** Names of thread files the runtime writes: `<thread id>.json`. */
const THREAD_FILE = /^[A-Za-z0-9_-]{1,128}\.json$/;

/**
 * The folder a remote agent's threads are copied to: `<agent folder>/remote-home`, owned by the core,
 * 0700, never mounted into any container (the agent's own home is a volume on its engine). Its layout
 * is the home's (`.agentdesk/threads/<id>.json`), so readers treat it as the agent's home.
 */
export function remoteHomeOf(agentRoot: string): string {
  return path.join(agentRoot, 'remote-home');
}

/**
 * Copies the thread files of `container` (on a remote engine) into {@link remoteHomeOf}`(agentRoot)`,
 * replacing what an earlier copy left: only names `<id>.json`, at most {@link THREADS_LISTED_MAX} files
 * and {@link THREADS_READ_MAX_BYTES} bytes, each file's modification time kept (threads are listed newest
 * first). Files are written by the core with fixed names under a folder the agent cannot reach.
 * @returns the mirror home, or null when the engine cannot copy files out (a local engine).
 * @throws the engine's errors (unreachable …).
 */
export async function mirrorThreads(
  rt: Pick<ContainerRuntime, 'copyFilesOut'>,
  container: string,
  agentRoot: string,
): Promise<string | null> {
  if (!rt.copyFilesOut) return null;
  const files = await rt.copyFilesOut(container, THREADS_IN_CONTAINER, {
    accept: (n) => THREAD_FILE.test(n),
    maxFiles: THREADS_LISTED_MAX,
    maxBytes: THREADS_READ_MAX_BYTES,
  });
  const home = remoteHomeOf(agentRoot);
  const threads = path.join(home, '.agentdesk', 'threads');
  const fresh = `${threads}.new`;
  fs.mkdirSync(path.dirname(threads), { recursive: true, mode: 0o700 });
  fs.chmodSync(home, 0o700);
  fs.rmSync(fresh, { recursive: true, force: true });
  fs.mkdirSync(fresh, { mode: 0o700 });
  for (const f of files) {
    if (!THREAD_FILE.test(f.name)) continue;
    const file = path.join(fresh, f.name);
    fs.writeFileSync(file, f.data, { mode: 0o600, flag: 'wx' });
    const at = new Date(f.mtimeMs || Date.now());
    fs.utimesSync(file, at, at);
  }
  fs.rmSync(threads, { recursive: true, force: true });
  fs.renameSync(fresh, threads);
  return home;
}
