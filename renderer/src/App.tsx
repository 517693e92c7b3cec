// The app shell: sidebar, connection banner and the open page (hash-routed), themed by the settings; onboarding on first run.
import { useLayoutEffect, useRef } from 'react';
import type { ReactElement } from 'react';
import { usePage } from './app/route';
import { useThemeSync } from './app/theme';
import { ConnectionBanner } from './components/ConnectionBanner';
import { OfflineIndicator } from './components/OfflineIndicator';
import { Sidebar } from './components/Sidebar';
import { TokenRefusedScreen } from './components/TokenScreens';
import { OnboardingScreen } from './features/onboarding/OnboardingScreen';
import { DEFAULT_FEATURE_ID, FEATURE_IDS, FEATURES } from './features/registry';
import { selectUnauthorized, useConnection } from './stores/connection';
import { useSettings } from './stores/settings';
import { useSystem } from './stores/system';

/** Which core the window shows (a remote one the desktop attached to, or this computer's), its version and mode. */
export function CoreLine(): ReactElement | null {
  const info = useSystem((s) => s.info);
  if (!info) return null;
  return (
    <p className="sidebar__footer" data-testid="sidebar-core">
      <span data-testid="sidebar-core-location" data-remote={info.remote_core ? 'true' : 'false'}>
        {info.remote_core ? `Core: ${info.remote_core}` : 'This computer'}
      </span>
      <br />v{info.version} · {info.mode === 'headless' ? 'headless' : 'desktop'}
    </p>
  );
}

/** The whole window once a client exists. */
export function App(): ReactElement {
  useThemeSync();
  const pageId = usePage(FEATURE_IDS, DEFAULT_FEATURE_ID);
  const unauthorized = useConnection(selectUnauthorized);
  const onboarding = useSettings((s) => s.saved?.onboarding_done === false);
  const main = useRef<HTMLDivElement>(null);
  // Another page starts at its top, not at the scroll position the previous page was left at.
  useLayoutEffect(() => {
    main.current?.scrollTo({ top: 0 });
  }, [pageId]);
  if (unauthorized) return <TokenRefusedScreen />;
  // First run (or "Run setup again"): the onboarding replaces the shell until it is completed.
  if (onboarding)
    return (
      <main className="onboarding-page" data-testid="page-onboarding">
        <OnboardingScreen />
      </main>
    );
  const feature = FEATURES.find((f) => f.id === pageId) ?? FEATURES[0]!;
  return (
    <div className="shell">
      <Sidebar features={FEATURES} current={feature.id} footer={<CoreLine />} />
      <div className="main" ref={main} data-testid="main-scroll">
        <ConnectionBanner />
        <OfflineIndicator />
        <main
          className={feature.fill ? 'page page--fill' : feature.wide ? 'page page--wide' : 'page'}
          data-testid={`page-${feature.id}`}
          key={feature.id}
        >
          <feature.Page />
        </main>
      </div>
    </div>
  );
}
