// The harness registry: every main/services/harnesses/<id>/ folder loaded once, validated, and asked what it accepts.
import path from 'node:path';
import { appRoot } from '../../platform/paths';
import { isEmbeddingModel } from '../providers/catalog';
import type { RuntimeKind } from '../runtimes/container-runtime';
import type { Harness, HarnessPlugin } from './harness';
import { acceptsModel, HarnessManifest } from './manifest';

/**
 * The folder holding the harness folders' files (manifests, image recipes, OpenClaw's harness.mjs) in a
 * checkout: `main/services/harnesses` of the app root. The core is given its folder in its options
 * (`AppPaths.harnessesDir`: `AGENTDESK_HARNESSES_DIR`, or `<resources>/harnesses` in a packaged app).
 */
export function harnessesDir(): string {
  return path.join(appRoot(), 'main', 'services', 'harnesses');
}

/** A module of a harness folder: `index.ts` exporting `harness`. */
export type HarnessModule = { harness?: HarnessPlugin };

/**
 * The harnesses of this installation, loaded once (by the composition root) from the folders'
 * modules. A harness whose manifest is invalid, or whose id differs from its folder, or repeats another's,
 * is left out and reported in `errors` (the app still starts without it).
 */
export class HarnessRegistry {
  private readonly byId = new Map<string, Harness>();
  readonly errors: string[] = [];

  /**
   * @param modules folder modules by path (`./<id>/index.ts`, as `import.meta.glob` gives them).
   * @param extra harnesses from elsewhere (tests, authors), each naming its folder (`dir`).
   * @param dir where the built-in folders' files are ({@link harnessesDir}).
   */
  constructor(modules: Record<string, HarnessModule>, extra: HarnessPlugin[] = [], dir = harnessesDir()) {
    const entries: [string | null, HarnessPlugin | undefined, string][] = [
      ...Object.entries(modules)
        // Code-point order of the (ASCII) paths: localeCompare's first use loads ICU collation at start.
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([file, m]): [string, HarnessPlugin | undefined, string] => {
          const folder = path.basename(path.dirname(file));
          return [folder, m.harness, path.join(dir, folder)];
        }),
      ...extra.map((p): [null, HarnessPlugin, string] => [null, p, p.dir ?? '']),
    ];
    for (const [folder, plugin, pluginDir] of entries) {
      const where = folder ? `harness folder "${folder}"` : 'an extra harness';
      if (!plugin) {
        this.errors.push(`${where}: its index.ts exports no \`harness\``);
        continue;
      }
      const parsed = HarnessManifest.safeParse(plugin.manifest);
      if (!parsed.success) {
        const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(manifest)'}: ${i.message}`);
        this.errors.push(`${where}: its manifest is invalid (${issues.join('; ')})`);
        continue;
      }
      const m = parsed.data;
      if (folder && m.id !== folder) {
        this.errors.push(`${where}: its id "${m.id}" differs from its folder`);
        continue;
      }
      if (!folder && !plugin.dir) {
        this.errors.push(`${where} "${m.id}": it must name its folder (dir)`);
        continue;
      }
      if (this.byId.has(m.id)) {
        this.errors.push(`${where}: the id "${m.id}" is taken by another harness`);
        continue;
      }
      this.byId.set(m.id, {
        manifest: m,
        image: plugin.image ?? null,
        configure: (config, endpoint) => plugin.configure?.(config, endpoint) ?? {},
        dir: pluginDir,
      });
    }
  }

  /** Every loaded harness, built-in first, then by id. */
  list(): Harness[] {
    return [...this.byId.values()].sort((a, b) =>
      a.manifest.id === 'builtin'
        ? -1
        : b.manifest.id === 'builtin'
          ? 1
          : a.manifest.id.localeCompare(b.manifest.id),
    );
  }

  /** Their ids, in {@link list} order. */
  ids(): string[] {
    return this.list().map((h) => h.manifest.id);
  }

  /** The harness `id`, or undefined. */
  get(id: string): Harness | undefined {
    return this.byId.get(id);
  }

  /** The harness whose image is `ref`, or undefined. */
  byImage(ref: string): Harness | undefined {
    return this.list().find((h) => h.manifest.image === ref);
  }
}

/**
 * Why `h` cannot run an agent on `engine` with `model`, `memoryMib` and (if set) its own instructions
 * (one line naming the field and what is supported), or null. Create refuses such an agent and records nothing.
 */
export function harnessRefusal(
  h: Harness,
  want: {
    engine: RuntimeKind;
    model: string;
    fallbacks: string[];
    memoryMib: number;
    /** Whether the agent sets its own system prompt, temperature or tools switch. */
    instructions?: boolean;
  },
): string | null {
  const m = h.manifest;
  if (!m.engines.includes(want.engine))
    return `runtime: ${m.label} does not run on ${want.engine}; valid runtime for ${m.id}: ${m.engines.join(', ')}`;
  for (const [field, model] of [
    ['model', want.model],
    ...want.fallbacks.map((f, i) => [`fallbacks.${i}`, f]),
  ] as const) {
    if (isEmbeddingModel(model.slice(model.indexOf('/') + 1)))
      return `${field}: "${model}" is an embedding model; ${m.label} needs a chat model`;
    if (!acceptsModel(m, model))
      return `${field}: ${m.label} does not support the model "${model}"; it supports ${m.models === 'any' ? 'any model' : `models matching ${m.models.join(', ')}`}`;
  }
  if (want.instructions && !m.instructions)
    return `system_prompt: ${m.label} brings its own system prompt and tools and applies no other; leave the system prompt, temperature and tools at their defaults (they apply to harnesses such as the Agent Desk runtime)`;
  if (want.memoryMib < m.memory.min_mib)
    return `memory_mib: ${m.label} needs at least ${m.memory.min_mib} MiB (its processes are killed by the kernel below that); got ${want.memoryMib}, default ${m.memory.default_mib}`;
  return null;
}
