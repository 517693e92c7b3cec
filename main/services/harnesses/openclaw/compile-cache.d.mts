// Types of compile-cache.mjs (plain JavaScript: it runs in the OpenClaw image, not built by the app).
export function compileCacheFor(
  from: string,
  to: string,
  uid: number,
  builtBy?: number,
  depth?: number,
): string | null;
