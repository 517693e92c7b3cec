// One inline line for a core error: its code and message (nothing when the core is unreachable: the banner says so).
import type { ReactElement } from 'react';
import type { ShownError } from '../../stores/errors';

export function ErrorLine({ error, testId }: { error: ShownError; testId?: string }): ReactElement | null {
  if (error.unreachable) return null;
  return (
    <p className="inline-error" role="alert" data-testid={testId}>
      <code>{error.code}</code> {error.message}
    </p>
  );
}
