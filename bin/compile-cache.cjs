// V8 code cache for the built core (out/main): `agentdesk serve` compiles about 3 MB of JavaScript at each
// start; with the cache, V8 reuses the bytecode of the previous start instead (Node 20 has no built-in
// compile cache). The cache lives in a directory private to the user; a stale or foreign entry is rejected
// by V8 and rewritten, so it can only make a start slower, never different.
const Module = require('node:module');
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const vm = require('node:vm');

/**
 * The cache directory: `$XDG_CACHE_HOME/agentdesk/v8` (default `~/.cache/agentdesk/v8`), created 0700.
 * Whoever can write a folder on that path can swap the folders under it after the check (rename ours
 * away, put theirs in its place) and have this user run their bytecode, so every level is checked:
 * - the base (`$XDG_CACHE_HOME` or `~/.cache`, a link is fine there): not writable by group or others,
 *   unless sticky (like /tmp, where others cannot rename what is ours), and owned by this user or root;
 * - `agentdesk` and `v8`: real folders (no links), owned by this user; `agentdesk` not writable by group or
 *   others, `v8` private (0700).
 * @param {NodeJS.ProcessEnv} env
 * @returns {string | null} null when it cannot be created or one of those checks fails (then Node
 *   compiles as usual).
 */
function cacheDir(env) {
  const base = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  const parent = path.join(base, 'agentdesk');
  const dir = path.join(parent, 'v8');
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const uid = typeof process.getuid === 'function' ? process.getuid() : null;
    const ours = (st) => uid === null || st.uid === uid;
    const b = fs.statSync(base);
    const sticky = (b.mode & 0o1000) !== 0;
    if (!b.isDirectory() || !(ours(b) || b.uid === 0) || ((b.mode & 0o022) !== 0 && !sticky)) return null;
    const p = fs.lstatSync(parent);
    if (!p.isDirectory() || !ours(p) || (p.mode & 0o022) !== 0) return null;
    const st = fs.lstatSync(dir);
    if (!st.isDirectory() || !ours(st) || (st.mode & 0o077) !== 0) return null;
    return dir;
  } catch {
    return null;
  }
}

/**
 * Compiles the CommonJS files under `root` through the code cache in `dir` from now on (other files are
 * compiled by Node as usual). Entries are keyed by file path, content, Node version and V8 flags; an entry
 * is written (atomically, 0600) `writeAfterMs` after start, once the start-up code has run, so it holds
 * the functions compiled by then too.
 * @param {{ root: string, dir: string, writeAfterMs?: number }} opts
 * @returns {void}
 */
function installCompileCache({ root, dir, writeAfterMs = 2000 }) {
  const prefix = root.endsWith(path.sep) ? root : root + path.sep;
  const original = Module.prototype._compile;
  /** @type {[string, vm.Script][]} */
  const toWrite = [];
  Module.prototype._compile = function compileCached(content, filename) {
    return filename.startsWith(prefix)
      ? runCached(this, content, filename)
      : original.call(this, content, filename);
  };
  /**
   * Compiles and runs one module like Node's loader does, with the cached bytecode when there is some.
   * @param {Module} mod
   * @param {string} content
   * @param {string} filename
   */
  function runCached(mod, content, filename) {
    const key = createHash('sha256')
      .update(`${process.version}\0${process.execArgv.join(' ')}\0${filename}\0`)
      .update(content)
      .digest('hex');
    const file = path.join(dir, key);
    let cachedData;
    try {
      cachedData = fs.readFileSync(file);
    } catch {
      cachedData = undefined;
    }
    const script = new vm.Script(Module.wrap(content), {
      filename,
      cachedData,
      importModuleDynamically: vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER,
    });
    if (cachedData === undefined || script.cachedDataRejected) toWrite.push([file, script]);
    const wrapper = script.runInThisContext({ displayErrors: true });
    const require = (id) => mod.require(id);
    require.resolve = (request, options) => Module._resolveFilename(request, mod, false, options);
    require.resolve.paths = (request) => Module._resolveLookupPaths(request, mod);
    require.main = process.mainModule;
    require.extensions = Module._extensions;
    require.cache = Module._cache;
    return wrapper.call(mod.exports, mod.exports, require, mod, filename, path.dirname(filename));
  }
  setTimeout(() => {
    if (toWrite.length) prune(dir, new Set(toWrite.map(([file]) => file)));
    for (const [file, script] of toWrite.splice(0)) {
      try {
        const tmp = `${file}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
        fs.renameSync(tmp, file);
      } catch {
        /* a cache that cannot be written only makes the next start slower */
      }
    }
  }, writeAfterMs).unref();
}

/** Entries older than this (by write time) are removed when new ones are written: those of earlier builds. */
const STALE_MS = 14 * 24 * 3600 * 1000;

/**
 * Removes cache entries written more than {@link STALE_MS} ago, except `keep` (best effort).
 * @param {string} dir
 * @param {Set<string>} keep absolute paths
 */
function prune(dir, keep) {
  try {
    const now = Date.now();
    for (const name of fs.readdirSync(dir)) {
      const file = path.join(dir, name);
      if (keep.has(file)) continue;
      if (now - fs.statSync(file).mtimeMs > STALE_MS) fs.rmSync(file, { force: true });
    }
  } catch {
    /* pruning is best effort */
  }
}

/**
 * Turns the code cache on for `root` unless `AGENTDESK_COMPILE_CACHE=0` or no private cache directory
 * can be had (then Node compiles as usual).
 * @param {string} root absolute directory of the built files
 * @param {NodeJS.ProcessEnv} env
 * @returns {boolean} whether the cache is on
 */
function enableCompileCache(root, env) {
  if (env.AGENTDESK_COMPILE_CACHE === '0') return false;
  const dir = cacheDir(env);
  if (!dir) return false;
  installCompileCache({ root, dir });
  return true;
}

module.exports = { enableCompileCache, installCompileCache, cacheDir };
