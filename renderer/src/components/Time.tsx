// A time as the UI writes it (app/time.ts), in a <time> element whose tooltip carries the full date and time.
import type { ReactElement } from 'react';
import { absoluteTime, fullTime, preciseClock, timeAgo } from '../app/time';

/**
 * UTC ms `at` written the app's way: `ago` ("5 min ago", needs `now`), `absolute` ("yesterday 14:02")
 * or `precise` ("14:03:07.123"); hovering shows it in full ("Mon 7 Dec 2026 14:02:07").
 */
export function Time({
  at,
  now,
  form,
  className,
  testId,
}: {
  at: number;
  now?: number;
  form: 'ago' | 'absolute' | 'precise';
  className?: string;
  testId?: string;
}): ReactElement {
  const text =
    form === 'ago'
      ? timeAgo(at, now ?? Date.now())
      : form === 'absolute'
        ? absoluteTime(at, now)
        : preciseClock(at);
  return (
    <time
      className={className}
      dateTime={new Date(at).toISOString()}
      title={fullTime(at)}
      data-testid={testId}
    >
      {text}
    </time>
  );
}
