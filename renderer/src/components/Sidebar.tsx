// Left navigation: one link per feature, arrow keys move between them, the open page has aria-current.
import { useRef } from 'react';
import type { KeyboardEvent, ReactElement } from 'react';
import { hashFor } from '../app/route';
import type { Feature } from '../features/types';
import { AppMark } from './Icons';

function NavList({ features, current }: { features: readonly Feature[]; current: string }): ReactElement {
  return (
    <ul className="nav__list">
      {features.map((f) => (
        <li key={f.id}>
          <a
            href={hashFor(f.id)}
            className="nav__item"
            aria-current={f.id === current ? 'page' : undefined}
            data-testid={`nav-${f.id}`}
          >
            <f.icon />
            <span>{f.label}</span>
          </a>
        </li>
      ))}
    </ul>
  );
}

/** The sidebar; `current` is the open page's id. Up/Down/Home/End move focus between the links. */
export function Sidebar({
  features,
  current,
  footer,
}: {
  features: readonly Feature[];
  current: string;
  footer?: ReactElement;
}): ReactElement {
  const nav = useRef<HTMLElement>(null);
  const onKeyDown = (e: KeyboardEvent): void => {
    const links = [...(nav.current?.querySelectorAll<HTMLAnchorElement>('a.nav__item') ?? [])];
    const at = links.indexOf(document.activeElement as HTMLAnchorElement);
    if (at < 0) return;
    const to = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: links.length - 1 }[e.key];
    if (to === undefined) return;
    e.preventDefault();
    links[(to + links.length) % links.length]?.focus();
  };
  return (
    <aside className="sidebar">
      <div className="sidebar__brand">
        <AppMark />
        <span>Agent Desk</span>
      </div>
      <nav ref={nav} className="nav" aria-label="Main" onKeyDown={onKeyDown} data-nav="">
        <NavList features={features.filter((f) => f.section === 'main')} current={current} />
        <div className="nav__spacer" />
        <NavList features={features.filter((f) => f.section === 'footer')} current={current} />
      </nav>
      {footer}
    </aside>
  );
}
