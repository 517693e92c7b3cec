// The Electron fuses flipped in the packaged app: the single source that electron-builder.yml `electronFuses` must match.

/**
 * One fuse setting in electron-builder's `electronFuses` shape (app-builder-lib `FuseOptionsV1`,
 * which passes them to `@electron/fuses` after packing and before signing).
 */
export interface ElectronFuses {
  runAsNode: boolean;
  enableCookieEncryption: boolean;
  enableNodeOptionsEnvironmentVariable: boolean;
  enableNodeCliInspectArguments: boolean;
  enableEmbeddedAsarIntegrityValidation: boolean;
  onlyLoadAppFromAsar: boolean;
  grantFileProtocolExtraPrivileges: boolean;
}

/**
 * The fuses of every packaged build (docs/decisions/007-packaging.md;
 * electronjs.org/docs/latest/tutorial/fuses):
 * - `runAsNode: false` — `ELECTRON_RUN_AS_NODE` is ignored, so the signed binary cannot be used as a
 *   general-purpose Node. Consequence: `process.fork` from main does not work, and the headless core
 *   cannot be started as `ELECTRON_RUN_AS_NODE=1 agentdesk …` (README "Packaging" says how instead).
 * - `enableCookieEncryption: true` — the cookie store is encrypted with the OS key (one-way switch).
 * - `enableNodeOptionsEnvironmentVariable: false` — `NODE_OPTIONS` / `NODE_EXTRA_CA_CERTS` ignored
 *   (no `--require` injection through the environment).
 * - `enableNodeCliInspectArguments: false` — `--inspect*` and SIGUSR1 do not open a debugger.
 * - `enableEmbeddedAsarIntegrityValidation: true` — app.asar is checked against the hash embedded
 *   at build time (macOS, and Windows from Electron 30).
 * - `onlyLoadAppFromAsar: true` — no fallback to a loose `app/` folder next to the binary.
 * - `grantFileProtocolExtraPrivileges: false` — the UI is served on `app://`, never `file://`
 *   (security checklist item 18), so `file:` pages get no more than a browser gives them.
 */
export const ELECTRON_FUSES: Readonly<ElectronFuses> = Object.freeze({
  runAsNode: false,
  enableCookieEncryption: true,
  enableNodeOptionsEnvironmentVariable: false,
  enableNodeCliInspectArguments: false,
  enableEmbeddedAsarIntegrityValidation: true,
  onlyLoadAppFromAsar: true,
  grantFileProtocolExtraPrivileges: false,
});
