// System view: health of keychain, Docker, Incus, LiteLLM and gateway, live; LiteLLM/gateway details; facts about the core.
import { useMemo } from 'react';
import type { ReactElement } from 'react';
import { RefreshButton } from '../../components/RefreshButton';
import { PageHeader } from '../../components/PageHeader';
import { getClient } from '../../stores/client';
import { selectComponents, selectSummary, systemStore, useSystem } from '../../stores/system';
import { ComponentRow } from './ComponentRow';
import { CoreInfoCard } from './CoreInfoCard';
import { EnginesSection } from './EnginesSection';
import { LlmPanel } from './LlmPanel';
import { Time } from '../../components/Time';

function CheckedAt({ at }: { at: number | null }): ReactElement | null {
  if (at === null) return null;
  return (
    <span className="muted small" data-testid="health-checked-at" data-checked-at={at}>
      Checked <Time at={at} form="absolute" />
    </span>
  );
}

/** The System page. Updates live from `health.changed`; "Check again" probes every component now. */
export function SystemPage(): ReactElement {
  const health = useSystem((s) => s.health);
  const loading = useSystem((s) => s.loadingHealth);
  const refreshing = useSystem((s) => s.refreshing);
  const error = useSystem((s) => s.healthError);
  const info = useSystem((s) => s.info);
  const infoError = useSystem((s) => s.infoError);
  const components = useMemo(() => selectComponents({ health }), [health]);

  const refresh = (): void => void systemStore.getState().refreshHealth();

  return (
    <>
      <PageHeader
        title="System"
        description="What Agent Desk needs on this machine, and how to fix what is missing."
        actions={
          <>
            <CheckedAt at={health?.checked_at ?? null} />
            <RefreshButton
              onClick={refresh}
              busy={refreshing}
              label="Check again"
              busyLabel="Checking…"
              testId="health-refresh"
            />
            <button
              type="button"
              className="button"
              onClick={() => void getClient().settings.update({ onboarding_done: false })}
              data-testid="run-setup"
            >
              Run setup again
            </button>
          </>
        }
      />
      <section className="card" aria-labelledby="components-title">
        <h2 id="components-title" className="card__title">
          Components
        </h2>
        <p className="visually-hidden" aria-live="polite">
          {selectSummary({ health })}
        </p>
        {error && !error.unreachable ? (
          <p className="inline-error" role="alert" data-testid="health-error">
            Could not check components ({error.code}): {error.message}
          </p>
        ) : null}
        {components.length > 0 ? (
          <ul className="component-list" data-testid="component-list">
            {components.map((c) => (
              <ComponentRow key={c.name} component={c} />
            ))}
          </ul>
        ) : (
          <p className="muted">{loading || !error ? 'Checking components…' : 'No health report yet.'}</p>
        )}
      </section>
      <EnginesSection />
      <LlmPanel />
      <CoreInfoCard info={info} error={infoError} />
    </>
  );
}
