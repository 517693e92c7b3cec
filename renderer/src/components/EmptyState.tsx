// Placeholder for a page with nothing to show yet, saying plainly what will appear there.
import type { ReactElement, ReactNode } from 'react';

/** An empty state: icon, one-line title and what the page will hold. */
export function EmptyState({
  icon,
  title,
  children,
}: {
  icon: ReactNode;
  title: string;
  children: ReactNode;
}): ReactElement {
  return (
    <div className="empty-state">
      <div className="empty-state__icon">{icon}</div>
      <h2 className="empty-state__title">{title}</h2>
      <div className="empty-state__body">{children}</div>
    </div>
  );
}
