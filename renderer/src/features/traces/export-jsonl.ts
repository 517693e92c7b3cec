// Export of trace events as a JSONL file: a download built from a Blob in the page (nothing leaves the machine).
import type { TraceEvent } from '../../../../contract/traces';
import { toJsonl } from '../../stores/traces';

/** The file name of an export: `agentdesk-trace-<who>-<UTC time>.jsonl` (`:` replaced, safe on Windows). */
export function exportFileName(who: string, at: number = Date.now()): string {
  const safe = who.replace(/[^a-z0-9_-]+/gi, '-').replace(/^-+|-+$/g, '') || 'all';
  return `agentdesk-trace-${safe}-${new Date(at).toISOString().replace(/[:.]/g, '-')}.jsonl`;
}

/**
 * Downloads `events` as JSONL (one envelope v1 per line) through an object URL and a temporary link;
 * the URL is revoked right after the click.
 */
export function downloadJsonl(events: readonly TraceEvent[], fileName: string): void {
  const url = URL.createObjectURL(new Blob([toJsonl(events)], { type: 'application/x-ndjson' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
