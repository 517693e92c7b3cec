// Facts about the running core from `system.info`: version, mode, data directory and more.
import type { ReactElement } from 'react';
import type { CoreInfo } from '../../../../contract/health';
import type { ShownError } from '../../stores/errors';
import { Time } from '../../components/Time';

const MODE_LABELS: Record<CoreInfo['mode'], string> = {
  electron: 'Desktop app',
  headless: 'Headless (agentdesk serve)',
};

/** Card listing the core's facts, or why they are missing. */
export function CoreInfoCard({
  info,
  error,
}: {
  info: CoreInfo | null;
  error: ShownError | null;
}): ReactElement {
  return (
    <section className="card" aria-labelledby="core-info-title" data-testid="core-info">
      <h2 id="core-info-title" className="card__title">
        Core
      </h2>
      {info ? (
        <dl className="facts">
          <dt>Version</dt>
          <dd data-testid="core-version">{info.version}</dd>
          <dt>Mode</dt>
          <dd data-testid="core-mode" data-mode={info.mode}>
            {MODE_LABELS[info.mode]}
          </dd>
          <dt>Data directory</dt>
          <dd data-testid="core-data-dir">
            <code>{info.data_dir}</code>
          </dd>
          <dt>Platform</dt>
          <dd>{info.platform}</dd>
          <dt>Process</dt>
          <dd>
            PID {info.pid}, started <Time at={info.started_at} form="absolute" />
          </dd>
          <dt>Database schema</dt>
          <dd>version {info.schema_version}</dd>
        </dl>
      ) : error && !error.unreachable ? (
        <p className="inline-error" role="alert">
          Could not read core info ({error.code}): {error.message}
        </p>
      ) : (
        <p className="muted">Loading…</p>
      )}
    </section>
  );
}
