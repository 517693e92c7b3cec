// The Usage page's sidebar icon: bars (inline SVG, like components/Icons.tsx).
import type { ReactElement } from 'react';

/** Three bars. */
export const UsageIcon = (): ReactElement => (
  <svg
    width={20}
    height={20}
    viewBox="0 0 20 20"
    fill="none"
    stroke="currentColor"
    strokeWidth={1.6}
    strokeLinecap="round"
    aria-hidden="true"
    focusable="false"
  >
    <path d="M4 16V10M10 16V4M16 16V8M3 16.5h14" />
  </svg>
);
