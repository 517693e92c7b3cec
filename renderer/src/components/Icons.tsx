// Inline SVG icons (no icon font or remote asset); 20×20, stroke in currentColor, hidden from screen readers.
import type { ReactElement, ReactNode } from 'react';

/**
 * The frame of every icon: a `size`×`size` px SVG on a 20×20 view box, stroked in currentColor with
 * round caps (and round joins unless `roundJoins` is false), hidden from screen readers.
 */
export function Svg({
  children,
  size = 20,
  roundJoins = true,
}: {
  children: ReactNode;
  size?: number;
  roundJoins?: boolean;
}): ReactElement {
  return (
    <svg
      width={size}
      height={size}
      viewBox="0 0 20 20"
      fill="none"
      stroke="currentColor"
      strokeWidth={1.6}
      strokeLinecap="round"
      strokeLinejoin={roundJoins ? 'round' : undefined}
      aria-hidden="true"
      focusable="false"
    >
      {children}
    </svg>
  );
}

/** A robot head: agents. */
export const AgentsIcon = (): ReactElement => (
  <Svg>
    <rect x="3.5" y="6" width="13" height="10" rx="3" />
    <path d="M10 6V3.5M8 3.5h4" />
    <circle cx="7.5" cy="11" r="1" fill="currentColor" stroke="none" />
    <circle cx="12.5" cy="11" r="1" fill="currentColor" stroke="none" />
  </Svg>
);

/** A plug: providers. */
export const ProvidersIcon = (): ReactElement => (
  <Svg>
    <path d="M7 2.5v4M13 2.5v4M5 6.5h10v3a5 5 0 0 1-10 0zM10 14.5v3" />
  </Svg>
);

/** A pulse line: traces. */
export const TracesIcon = (): ReactElement => (
  <Svg>
    <path d="M2 10.5h3.5l2-5 4 10 2-5H18" />
  </Svg>
);

/** Sliders: settings. */
export const SettingsIcon = (): ReactElement => (
  <Svg>
    <path d="M3 5.5h8M15 5.5h2M3 14.5h2M9 14.5h8" />
    <circle cx="13" cy="5.5" r="2" />
    <circle cx="7" cy="14.5" r="2" />
  </Svg>
);

/** A chip: system health. */
export const SystemIcon = (): ReactElement => (
  <Svg>
    <rect x="5" y="5" width="10" height="10" rx="2" />
    <path d="M8 2.5v2.5M12 2.5v2.5M8 15v2.5M12 15v2.5M2.5 8H5M2.5 12H5M15 8h2.5M15 12h2.5" />
  </Svg>
);

/** Circular arrow: check again. */
export const RefreshIcon = (): ReactElement => (
  <Svg size={16}>
    <path d="M16 10a6 6 0 1 1-1.8-4.3M16 3.5v3.2h-3.2" />
  </Svg>
);

/** Two sheets: copy. */
export const CopyIcon = (): ReactElement => (
  <Svg size={14}>
    <rect x="7" y="7" width="9.5" height="9.5" rx="1.8" />
    <path d="M13 4.5V4a1.5 1.5 0 0 0-1.5-1.5H4A1.5 1.5 0 0 0 2.5 4v7.5A1.5 1.5 0 0 0 4 13h.5" />
  </Svg>
);

/** Cloud with a slash: disconnected. */
export const OfflineIcon = (): ReactElement => (
  <Svg size={18}>
    <path d="M6 15.5h8.5a3 3 0 0 0 .6-5.9A5 5 0 0 0 6.2 7.6 4 4 0 0 0 6 15.5zM3 3l14 14" />
  </Svg>
);

/** Key: access token. */
export const KeyIcon = (): ReactElement => (
  <Svg size={28}>
    <circle cx="7" cy="12.5" r="3.5" />
    <path d="M9.5 10 16.5 3M14 5.5l2 2M12 7.5l1.5 1.5" />
  </Svg>
);

/** The app mark: a desk with a spark. */
export const AppMark = (): ReactElement => (
  <Svg size={22}>
    <rect x="2.5" y="9" width="15" height="3" rx="1" />
    <path d="M5 12v5M15 12v5M10 2.5l1 2.5 2.5 1-2.5 1-1 2.5-1-2.5L6.5 6 9 5z" />
  </Svg>
);

/** A triangle: start. */
export const StartIcon = (): ReactElement => (
  <Svg size={16}>
    <path d="M6 4.5v11l9-5.5z" />
  </Svg>
);

/** A square: stop. */
export const StopIcon = (): ReactElement => (
  <Svg size={16}>
    <rect x="5" y="5" width="10" height="10" rx="1.5" />
  </Svg>
);

/** A speech bubble: chat. */
export const ChatIcon = (): ReactElement => (
  <Svg size={16}>
    <path d="M3.5 5a2 2 0 0 1 2-2h9a2 2 0 0 1 2 2v6.5a2 2 0 0 1-2 2H9l-3.5 3v-3h0a2 2 0 0 1-2-2z" />
  </Svg>
);

/** A clock: tasks (schedules). */
export const TasksIcon = (): ReactElement => (
  <Svg size={16}>
    <circle cx="10" cy="10" r="7" />
    <path d="M10 6v4.5l3 1.5" />
  </Svg>
);

/** A globe: network access. */
export const NetworkIcon = (): ReactElement => (
  <Svg size={16}>
    <circle cx="10" cy="10" r="7" />
    <path d="M3 10h14M10 3c2 2.2 2.8 4.6 2.8 7s-.8 4.8-2.8 7c-2-2.2-2.8-4.6-2.8-7S8 5.2 10 3z" />
  </Svg>
);

/** Three dots: more actions. */
export const MoreIcon = (): ReactElement => (
  <Svg size={16}>
    <circle cx="4.5" cy="10" r="1.2" fill="currentColor" stroke="none" />
    <circle cx="10" cy="10" r="1.2" fill="currentColor" stroke="none" />
    <circle cx="15.5" cy="10" r="1.2" fill="currentColor" stroke="none" />
  </Svg>
);

/** The pulse line of {@link TracesIcon}, at row size: one agent's trace. */
export const TraceIcon = (): ReactElement => (
  <Svg size={16}>
    <path d="M2 10.5h3.5l2-5 4 10 2-5H18" />
  </Svg>
);
