// The Tasks page's sidebar icon: a clock with a check (inline SVG, like components/Icons.tsx).
import type { ReactElement } from 'react';

/** A clock. */
export const TasksIcon = (): ReactElement => (
  <svg
    width={20}
    height={20}
    viewBox="0 0 20 20"
    fill="none"
    stroke="currentColor"
    strokeWidth={1.6}
    strokeLinecap="round"
    strokeLinejoin="round"
    aria-hidden="true"
    focusable="false"
  >
    <circle cx="10" cy="10" r="7" />
    <path d="M10 6v4l2.5 2" />
  </svg>
);
