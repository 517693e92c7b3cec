// Agent names in the core: the shared rules (contract/agent-naming.ts) plus archive names.
export { containerNameOf, isSingleEmoji, SLUG_MAX, slugOf } from '../../../contract/agent-naming';

/** `YYYYMMDD-HHMMSS` in UTC: the archive timestamp, valid in container names and folder names. */
export function archiveStamp(at: number): string {
  return new Date(at).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

/** The container of an archived agent: `agentdesk-archived-<slug>-<YYYYMMDD-HHMMSS>`. */
export function archivedContainerName(slug: string, at: number): string {
  return `agentdesk-archived-${slug}-${archiveStamp(at)}`;
}
