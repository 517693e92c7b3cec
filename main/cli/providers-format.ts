// Human output of `agentdesk providers …`: aligned tables and one-line summaries (the --json output is the DTOs).
import type {
  CatalogEntry,
  Discovery,
  ProbeOutcome,
  Provider,
  ProviderModels,
} from '../../contract/providers';

/** Aligns rows into columns separated by two spaces; the last column is not padded. */
export function table(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all
    .map((r) =>
      r
        .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** "key set · …abcd", "key from AGENTDESK_KEY_X · …abcd", "no key needed", "key missing", "keychain unavailable". */
export function describeKey(key: Provider['key']): string {
  const tail = key.last4 ? ` · …${key.last4}` : '';
  switch (key.state) {
    case 'set':
      return `key set${tail}`;
    case 'env':
      return `key from ${key.env_var ?? 'env'}${tail}`;
    case 'not_needed':
      return 'no key';
    case 'missing':
      return 'key missing';
    case 'unavailable':
      return 'keychain unavailable';
  }
}

function status(p: Provider): string {
  if (p.status === 'unknown') return 'untested';
  return p.status === 'ok' ? 'ok' : 'error';
}

/** The provider list as a table (ID, NAME, TYPE, KEY, STATUS, MODELS, BASE URL). */
export function formatProviders(list: Provider[]): string {
  if (list.length === 0)
    return 'No providers. Add one with `agentdesk providers add TYPE …` (see `agentdesk providers catalog`).';
  return table(
    ['ID', 'NAME', 'TYPE', 'KEY', 'STATUS', 'MODELS', 'BASE URL'],
    list.map((p) => [p.id, p.name, p.type, describeKey(p.key), status(p), String(p.model_count), p.base_url]),
  );
}

/** One provider in detail (after add/edit). */
export function formatProvider(p: Provider): string {
  const lines = [
    `${p.id}  ${p.name} (${p.type_label})`,
    `  base URL  ${p.base_url}`,
    `  key       ${describeKey(p.key)}`,
    `  status    ${status(p)}${p.status_detail ? `: ${p.status_detail}` : ''}`,
    `  models    ${p.model_count}`,
  ];
  if (p.key.state === 'unavailable' && p.key.detail) lines.push(`  keychain  ${p.key.detail}`);
  return lines.join('\n');
}

/** A probe result on one line: "ok  openai  12 models  (230 ms)". */
export function formatProbe(id: string, probe: ProbeOutcome): string {
  return `${probe.ok ? 'ok' : 'failed'}  ${id}  ${probe.message}  (${probe.latency_ms} ms)`;
}

/** A model list as a table (MODEL, LITELLM MODEL, LABEL). */
export function formatModels(m: ProviderModels): string {
  if (m.models.length === 0)
    return m.fetched_at === null
      ? `No models fetched yet for ${m.provider_id}: run \`agentdesk providers models ${m.provider_id} --refresh\`.`
      : `${m.provider_id} lists no models.`;
  return table(
    ['MODEL', 'LITELLM MODEL', 'LABEL'],
    m.models.map((x) => [x.id, x.litellm_model, x.label ?? '']),
  );
}

/** The catalog as a table (TYPE, LABEL, KEY, BASE URL, ENV). */
export function formatCatalog(entries: CatalogEntry[]): string {
  return table(
    ['TYPE', 'LABEL', 'KEY', 'BASE URL', 'ENV'],
    entries.map((e) => [e.type, e.label, e.key, e.base_url || '(your URL)', e.env_vars.join(', ')]),
  );
}

/** Discovery results: servers found, keys found in the environment, and what was probed. */
export function formatDiscovery(d: Discovery): string {
  const out: string[] = [];
  if (d.servers.length)
    out.push(
      'Local servers:',
      table(
        ['TYPE', 'BASE URL', 'MODELS', 'ADDED AS'],
        d.servers.map((s) => [s.type, s.base_url, String(s.model_count), s.added_as ?? '-']),
      ),
    );
  else out.push(`No local model server answered (${d.probed.length} ports probed in ${d.duration_ms} ms).`);
  if (d.keys.length)
    out.push(
      '',
      'Keys in the environment:',
      table(
        ['TYPE', 'VARIABLE', 'KEY', 'ADDED AS'],
        d.keys.map((k) => [k.type, k.env_var, k.last4 ? `…${k.last4}` : 'set', k.added_as ?? '-']),
      ),
    );
  return out.join('\n');
}
