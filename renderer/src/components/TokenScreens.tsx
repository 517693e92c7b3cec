// Full-window screens for `agentdesk serve` opened without a token, or with one the core refused.
import type { ReactElement } from 'react';
import { KeyIcon } from './Icons';

function Screen({
  testId,
  title,
  children,
}: {
  testId: string;
  title: string;
  children: ReactElement;
}): ReactElement {
  return (
    <main className="token-screen" data-testid={testId}>
      <div className="token-screen__card">
        <div className="token-screen__icon">
          <KeyIcon />
        </div>
        <h1>{title}</h1>
        {children}
      </div>
    </main>
  );
}

/** Shown when the page was opened without `#token=` and this tab has none saved. */
export function NoTokenScreen(): ReactElement {
  return (
    <Screen testId="no-token" title="Access token needed">
      <>
        <p>
          Open the URL printed by <code>agentdesk serve</code> (it carries the access token).
        </p>
        <p className="token-screen__hint">
          It looks like <code>http://127.0.0.1:PORT/#token=…</code>. The token stays in this tab only.
        </p>
      </>
    </Screen>
  );
}

/** Shown when the core answered 401 to the saved token (e.g. the data dir, and so the token, changed). */
export function TokenRefusedScreen(): ReactElement {
  return (
    <Screen testId="token-refused" title="The core refused this access token">
      <>
        <p>
          Open the URL printed by <code>agentdesk serve</code> again (it carries the current access token).
        </p>
      </>
    </Screen>
  );
}
