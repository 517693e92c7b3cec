// Archive and restore of one agent: container renamed, folder moved, key revoked or minted anew.
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../../../contract/errors';
import type { Logger } from '../../platform/logging';
import type { ContainerRuntime, RuntimeKind } from '../runtimes/container-runtime';
import { agentFolder } from './agent-folder';
import type { AgentRepository, AgentRow, SetPhase } from './agent-repository';
import type { Deployer } from './deployer';
import type { FrameworkManifest } from './frameworks';
import { archivedContainerName, archiveStamp, containerNameOf, SLUG_MAX } from './naming';

/** What archive and restore need. */
export interface ArchiverDeps {
  dataDir: string;
  repo: AgentRepository;
  deployer: Deployer;
  runtime: (kind: RuntimeKind) => ContainerRuntime;
  keys: { revokeOwner(owner: string): number };
  setPhase: SetPhase;
  log: Logger;
  /** Graceful stop before kill, s (default 10). */
  stopTimeoutS?: number;
}

/** Longest slug with its restore suffix, so `agentdesk-archived-<slug>-<stamp>` stays within 63 characters. */
const RESTORED_SLUG_MAX = SLUG_MAX + 2;

/**
 * The first free slug for a restored agent: `slug`, else `<slug>-2`, `-3` … (shortened so the archive
 * name still fits), free among live agents and among containers of the runtime.
 */
export async function freeSlug(
  slug: string,
  repo: AgentRepository,
  rt: ContainerRuntime,
  id: string,
): Promise<string> {
  for (let n = 1; n < 1000; n++) {
    const suffix = n === 1 ? '' : `-${n}`;
    const candidate = `${slug.slice(0, RESTORED_SLUG_MAX - suffix.length).replace(/-+$/, '')}${suffix}`;
    const taken = repo.findLiveBySlug(candidate);
    if (taken && taken.id !== id) continue;
    if (await rt.inspect(containerNameOf(candidate))) continue;
    return candidate;
  }
  throw new AppError('CONFLICT', `No free name for ${slug} (tried ${slug}-2 … ${slug}-999)`);
}

/**
 * archiving → archived (ARCHITECTURE §1.4, issue 6): stop (killed after the timeout) → rename the
 * container `agentdesk-archived-<slug>-<UTC stamp>` → move `<data>/agents/<id>` to
 * `<data>/archive/<slug>-<stamp>/` → revoke the key → record archived. If the rename fails the agent is
 * put back as it was (started again when it was running) and the error is thrown.
 * @throws AppError CONFLICT when the agent cannot be archived in its phase; engine errors.
 */
export async function archiveAgent(d: ArchiverDeps, row: AgentRow, fw: FrameworkManifest): Promise<void> {
  const rt = d.runtime(row.runtime);
  const wasRunning = row.phase === 'running';
  const at = Date.now();
  d.setPhase(row.id, 'archiving', null);
  const present = (await rt.inspect(row.container)) !== null;
  const archivedName = archivedContainerName(row.slug, at);
  if (present) {
    await rt.stop(row.container, { timeoutS: d.stopTimeoutS ?? 10 });
    try {
      await rt.rename(row.container, archivedName);
    } catch (err) {
      d.log.warn(
        { agent: row.id, err: (err as Error).message },
        'archive: rename failed; the agent stays live',
      );
      const reason = `Archiving failed: ${(err as Error).message}`;
      if (wasRunning) {
        d.setPhase(row.id, 'starting', reason);
        try {
          await d.deployer.startContainer(row, fw);
          d.setPhase(row.id, 'running', reason, { running_since: Date.now() });
        } catch (startErr) {
          d.setPhase(
            row.id,
            'failed',
            `${reason}; starting it again failed: ${(startErr as Error).message}`,
            {
              runtime_port: null,
              running_since: null,
            },
          );
        }
      } else {
        d.setPhase(row.id, 'stopped', reason, { runtime_port: null, running_since: null });
      }
      throw err;
    }
  }
  const from = agentFolder(d.dataDir, row.id).root;
  const archiveDir = path.join(d.dataDir, 'archive', `${row.slug}-${archiveStamp(at)}`);
  fs.mkdirSync(path.dirname(archiveDir), { recursive: true, mode: 0o700 });
  if (fs.existsSync(from)) fs.renameSync(from, archiveDir);
  else fs.mkdirSync(archiveDir, { recursive: true, mode: 0o700 });
  d.keys.revokeOwner(row.id);
  d.repo.update(row.id, { container: present ? archivedName : row.container, archive_dir: archiveDir });
  d.setPhase(row.id, 'archived', null, { key_id: null, runtime_port: null, running_since: null });
}

/**
 * restoring → running: a free slug (`<slug>-2` … when taken), the container renamed back, the folder
 * moved back, a new virtual key written into the env file (no reinstall), started and verified.
 * A missing container is deployed again from the image (the folder is kept).
 * @returns `true` when the container was there (else the caller deploys it anew).
 */
export async function restoreAgent(d: ArchiverDeps, row: AgentRow, fw: FrameworkManifest): Promise<boolean> {
  const rt = d.runtime(row.runtime);
  // The slug first, while the record is still archived (slugs are unique among the others).
  const slug = await freeSlug(row.slug, d.repo, rt, row.id);
  const name = containerNameOf(slug);
  d.repo.update(row.id, { slug });
  d.setPhase(row.id, 'restoring', null);
  const present = (await rt.inspect(row.container)) !== null;
  if (present && row.container !== name) await rt.rename(row.container, name);
  const to = agentFolder(d.dataDir, row.id).root;
  if (row.archive_dir && fs.existsSync(row.archive_dir) && !fs.existsSync(to)) {
    fs.mkdirSync(path.dirname(to), { recursive: true, mode: 0o700 });
    fs.renameSync(row.archive_dir, to);
  }
  d.repo.update(row.id, { container: name, archive_dir: null });
  const restored = d.repo.get(row.id)!;
  if (!present) return false;
  const { key, keyId } = d.deployer.mintKey(restored);
  await d.deployer.writeEnv(restored, key);
  d.setPhase(row.id, 'starting', null, { key_id: keyId });
  const port = await d.deployer.startContainer(restored, fw);
  d.setPhase(row.id, 'verifying', null);
  await d.deployer.verifyRunning(restored, fw, port);
  d.setPhase(row.id, 'running', null, { running_since: Date.now() });
  return true;
}
