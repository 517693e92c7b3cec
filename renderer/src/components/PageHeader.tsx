// The heading row of a page: title, one-line description and optional actions on the right.
import { useEffect, useRef } from 'react';
import type { ReactElement, ReactNode } from 'react';

/**
 * Page title (the page's `<h1>`, focused when the page is opened from the sidebar so screen readers
 * announce it), a description and actions.
 */
export function PageHeader({
  title,
  description,
  actions,
}: {
  title: string;
  description?: ReactNode;
  actions?: ReactNode;
}): ReactElement {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (document.activeElement?.closest('[data-nav]')) heading.current?.focus({ preventScroll: true });
  }, []);
  return (
    <header className="page-header">
      <div>
        <h1 ref={heading} tabIndex={-1} className="page-header__title">
          {title}
        </h1>
        {description ? <p className="page-header__description">{description}</p> : null}
      </div>
      {actions ? <div className="page-header__actions">{actions}</div> : null}
    </header>
  );
}
