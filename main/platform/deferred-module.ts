// Stand-ins in the CommonJS require cache for modules a dependency loads eagerly but calls only on paths Agent Desk never takes.
import Module from 'node:module';

/**
 * Puts a stand-in for the CommonJS module at `path` (absolute, resolved) into `req.cache`, so that the
 * packages requiring it get a function that loads the real module at its first call and forwards every
 * call to it. For modules whose `module.exports` is a single function and that cost start time to load
 * (e.g. dockerode's BuildKit session, which loads gRPC and protobufjs).
 *
 * Does nothing when `path` is already loaded (the real module is then used as is).
 * @returns true when the stand-in was installed.
 */
export function deferModule(req: NodeJS.Require, path: string): boolean {
  if (req.cache[path]) return false;
  let real: ((...args: unknown[]) => unknown) | null = null;
  const standIn = new Module(path);
  standIn.filename = path;
  standIn.loaded = true;
  standIn.exports = function deferred(this: unknown, ...args: unknown[]): unknown {
    if (!real) {
      if (req.cache[path] === standIn) delete req.cache[path];
      const loaded = req(path) as unknown;
      if (typeof loaded !== 'function')
        throw new TypeError(`${path} does not export a function, so it cannot be deferred`);
      real = loaded as (...args: unknown[]) => unknown;
    }
    return real.apply(this, args);
  };
  req.cache[path] = standIn;
  return true;
}
