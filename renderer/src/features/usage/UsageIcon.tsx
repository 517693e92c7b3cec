// The Usage page's sidebar icon: bars (inline SVG, like components/Icons.tsx).
import type { ReactElement } from 'react';
import { Svg } from '../../components/Icons';

/** Three bars. */
export const UsageIcon = (): ReactElement => (
  <Svg roundJoins={false}>
    <path d="M4 16V10M10 16V4M16 16V8M3 16.5h14" />
  </Svg>
);
