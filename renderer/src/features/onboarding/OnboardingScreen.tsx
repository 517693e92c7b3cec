// The first-run onboarding bound to the setup store: loads the checks, follows progress, finishes onboarding.
import { useEffect } from 'react';
import type { ReactElement } from 'react';
import { settingsStore } from '../../stores/settings';
import { setupStore, useSetup } from '../../stores/setup';
import { OnboardingView } from './OnboardingView';
import './onboarding.css';

/** Shown instead of the app shell until onboarding is done (first run, or "Run setup again"). */
export function OnboardingScreen(): ReactElement {
  const state = useSetup((s) => s);
  useEffect(() => {
    const off = setupStore.getState().follow();
    void setupStore.getState().load(true);
    return off;
  }, []);
  return (
    <OnboardingView
      status={state.status}
      checking={state.checking}
      fixing={state.fixing}
      completing={state.completing}
      error={state.error}
      onRecheck={() => void state.load(true)}
      onFix={(a) => void state.fix(a)}
      onContinue={() =>
        void state.complete().then((ok) => {
          if (ok) void settingsStore.getState().load();
        })
      }
    />
  );
}
