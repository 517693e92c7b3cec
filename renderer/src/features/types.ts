// What a feature folder exports so the shell can list it: adding a page = a new folder + one line in registry.ts.
import type { ComponentType, ReactElement } from 'react';

/** One page of the app, as the sidebar and the router see it. */
export interface Feature {
  /** Route and test id: `#/<id>`, `nav-<id>`, `page-<id>`. */
  id: string;
  /** Sidebar label. */
  label: string;
  icon: () => ReactElement;
  /** `main` pages come first in the sidebar; `footer` pages (Settings, System) sit at the bottom. */
  section: 'main' | 'footer';
  Page: ComponentType;
  /** The page uses the window's whole width (a wide table) instead of the reading column. */
  wide?: boolean;
  /** The page fills the window's height and scrolls inside itself (the chat), never the window. */
  fill?: boolean;
}
