// The Tasks page's sidebar icon: a clock with a check (inline SVG, like components/Icons.tsx).
import type { ReactElement } from 'react';
import { Svg } from '../../components/Icons';

/** A clock. */
export const TasksIcon = (): ReactElement => (
  <Svg>
    <circle cx="10" cy="10" r="7" />
    <path d="M10 6v4l2.5 2" />
  </Svg>
);
