// Archive and restore of one agent: container renamed, folder moved, key revoked or minted anew.
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../../../contract/errors';
import type { Logger } from '../../platform/logging';
import type { ContainerInfo, ContainerRuntime } from '../runtimes/container-runtime';
import type { RuntimeOwner } from '../runtimes/runtimes';
import { LABELS } from '../runtimes/container-runtime';
import { agentFolder } from './agent-folder';
import type { AgentRepository, AgentRow } from './agent-repository';
import type { PhaseWriter } from './agent-phases';
import { faultPoint } from './agent-repository';
import type { Deployer } from './deployer';
import type { Harness } from '../harnesses/harness';
import { archiveStamp, containerNameOf, SLUG_MAX } from './naming';
import { renameNoFollow } from './safe-fs';

/** What archive and restore need. */
export interface ArchiverDeps {
  dataDir: string;
  repo: AgentRepository;
  deployer: Deployer;
  /** The runtime an agent runs on (its kind on its engine). @throws DeployError when there is none. */
  runtime: (row: RuntimeOwner) => ContainerRuntime;
  keys: { revokeOwner(owner: string): number };
  phases: PhaseWriter;
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
 * The agent's container: the one named in its record, else the one labelled with its id (a crash between
 * a rename and the record's update leaves the other name). `null` when there is none.
 * @throws engine errors (RuntimeUnavailableError when it is down).
 */
export async function findAgentContainer(
  rt: ContainerRuntime,
  row: Pick<AgentRow, 'id' | 'container'>,
): Promise<ContainerInfo | null> {
  const named = await rt.inspect(row.container);
  if (named && named.labels[LABELS.agentId] === row.id) return named;
  const labelled = await rt.list({ [LABELS.agentId]: row.id });
  return labelled[0] ?? named;
}

/**
 * archiving → archived: record the archive folder → stop (killed after the
 * timeout) → rename the container `agentdesk-archived-<slug>-<UTC stamp>` → move `<data>/agents/<id>`
 * to `<data>/archive/<slug>-<stamp>/` → revoke the key → record archived. Every step can be run again,
 * so an agent a crash left `archiving` is finished by calling this again. If the rename fails the agent
 * is put back as it was (started again when it was running) and the error is thrown.
 * @throws AppError CONFLICT when the agent cannot be archived in its phase; engine errors.
 */
export async function archiveAgent(d: ArchiverDeps, row: AgentRow, fw: Harness): Promise<void> {
  const rt = d.runtime(row);
  const wasRunning = row.phase === 'running';
  const resuming = row.phase === 'archiving' && row.archive_dir !== null;
  // Chosen once and written first: a resumed archive uses the same folder and container name.
  const archiveDir =
    resuming && row.archive_dir
      ? row.archive_dir
      : path.join(d.dataDir, 'archive', `${row.slug}-${archiveStamp(Date.now())}`);
  const archivedName = `agentdesk-archived-${path.basename(archiveDir)}`;
  if (!resuming) d.repo.update(row.id, { archive_dir: archiveDir });
  d.phases.set(row.id, 'archiving', null);
  const found = await findAgentContainer(rt, row);
  const present = found !== null;
  if (found) {
    await rt.stop(found.name, { timeoutS: d.stopTimeoutS ?? 10 });
    faultPoint('stopped');
    try {
      if (found.name !== archivedName) await rt.rename(found.name, archivedName);
    } catch (err) {
      d.log.warn(
        { agent: row.id, err: (err as Error).message },
        'archive: rename failed; the agent stays live',
      );
      const reason = `Archiving failed: ${(err as Error).message}`;
      if (wasRunning) {
        d.phases.set(row.id, 'starting', reason);
        try {
          await d.deployer.startContainer(row, fw);
          d.phases.set(row.id, 'running', reason, { running_since: Date.now() });
        } catch (startErr) {
          d.phases.set(
            row.id,
            'failed',
            `${reason}; starting it again failed: ${(startErr as Error).message}`,
            {
              runtime_port: null,
              runtime_endpoint: null,
              running_since: null,
            },
          );
        }
      } else {
        d.phases.set(row.id, 'stopped', reason, {
          runtime_port: null,
          runtime_endpoint: null,
          running_since: null,
        });
      }
      d.repo.update(row.id, { archive_dir: null });
      throw err;
    }
    faultPoint('renamed');
  }
  const from = agentFolder(d.dataDir, row.id).root;
  fs.mkdirSync(path.dirname(archiveDir), { recursive: true, mode: 0o700 });
  if (fs.existsSync(from) && !fs.existsSync(archiveDir)) renameNoFollow(d.dataDir, from, archiveDir);
  else fs.mkdirSync(archiveDir, { recursive: true, mode: 0o700 });
  faultPoint('moved');
  d.keys.revokeOwner(row.id);
  faultPoint('revoked');
  d.repo.update(row.id, { container: present ? archivedName : row.container, archive_dir: archiveDir });
  d.phases.set(row.id, 'archived', null, {
    key_id: null,
    runtime_port: null,
    runtime_endpoint: null,
    running_since: null,
  });
}

/**
 * restoring → running: a free slug (`<slug>-2` … when taken), the container renamed back, the folder
 * moved back, a new virtual key written into the env file (no reinstall), started and verified.
 * A missing container is deployed again from the image (the folder is kept).
 * @returns `true` when the container was there (else the caller deploys it anew).
 */
export async function restoreAgent(d: ArchiverDeps, row: AgentRow, fw: Harness): Promise<boolean> {
  const rt = d.runtime(row);
  // The slug first, while the record is still archived (slugs are unique among the others). A restore
  // a crash left `restoring` keeps the slug it had reserved, and runs the remaining steps again.
  const slug = row.phase === 'restoring' ? row.slug : await freeSlug(row.slug, d.repo, rt, row.id);
  const name = containerNameOf(slug);
  d.repo.update(row.id, { slug });
  d.phases.set(row.id, 'restoring', null);
  const found = await findAgentContainer(rt, row);
  const present = found !== null;
  if (found && found.name !== name) await rt.rename(found.name, name);
  faultPoint('renamed');
  const to = agentFolder(d.dataDir, row.id).root;
  if (row.archive_dir && fs.existsSync(row.archive_dir) && !fs.existsSync(to)) {
    fs.mkdirSync(path.dirname(to), { recursive: true, mode: 0o700 });
    renameNoFollow(d.dataDir, row.archive_dir, to);
  }
  faultPoint('moved');
  d.repo.update(row.id, { container: name, archive_dir: null });
  const restored = d.repo.get(row.id)!;
  if (!present) return false;
  const { key, keyId } = d.deployer.mintKey(restored);
  // The config folder (host-written, read-only in the container) gets the new key; nothing is written
  // into the agent's home. A container of an earlier version is created again, contained.
  await d.deployer.writeEnv(restored, key);
  d.phases.set(row.id, 'starting', null, { key_id: keyId });
  await d.deployer.refresh(d.repo.get(row.id)!, fw);
  const endpoint = await d.deployer.startContainer(d.repo.get(row.id)!, fw);
  d.phases.set(row.id, 'verifying', null);
  await d.deployer.verifyRunning(d.repo.get(row.id)!, fw, endpoint);
  d.phases.set(row.id, 'running', null, { running_since: Date.now() });
  return true;
}

/**
 * Undoes a restore a crash interrupted while the agent was `restoring` (before its new key was in use):
 * the container is renamed back to its archive name, the folder moved back to the archive folder, any
 * key revoked, and the agent recorded `archived` again, with the reason; the user restores it again.
 * When the archive folder is no longer recorded (the crash came after the record's update), the agent is
 * left `failed` without key, so `start` deploys it again with its folder.
 * @throws engine errors (the agent then stays `restoring` until the next start).
 */
export async function rollBackRestore(d: ArchiverDeps, row: AgentRow): Promise<void> {
  const rt = d.runtime(row);
  const found = await findAgentContainer(rt, row);
  d.keys.revokeOwner(row.id);
  if (!row.archive_dir) {
    d.phases.set(row.id, 'failed', 'Agent Desk stopped while restoring it; start it to deploy it again', {
      key_id: null,
      runtime_port: null,
      runtime_endpoint: null,
      running_since: null,
    });
    return;
  }
  const archivedName = `agentdesk-archived-${path.basename(row.archive_dir)}`;
  if (found) {
    await rt.stop(found.name, { timeoutS: d.stopTimeoutS ?? 10 });
    if (found.name !== archivedName) await rt.rename(found.name, archivedName);
  }
  const from = agentFolder(d.dataDir, row.id).root;
  if (fs.existsSync(from) && !fs.existsSync(row.archive_dir))
    renameNoFollow(d.dataDir, from, row.archive_dir);
  d.repo.update(row.id, { container: found ? archivedName : row.container });
  d.phases.set(row.id, 'archived', 'Agent Desk stopped while restoring it; restore it again', {
    key_id: null,
    runtime_port: null,
    runtime_endpoint: null,
    running_since: null,
  });
}
