// The app version, from package.json (bundled at build time).
import pkg from '../../package.json';

/** Semantic version of this build of Agent Desk. */
export const APP_VERSION: string = pkg.version;
