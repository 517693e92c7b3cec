// Framework manifests (resources/frameworks/<id>/manifest.json): what a harness needs and how the app drives it.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Framework } from '../../../contract/agents';

/** The manifest file's shape. */
export const FrameworkManifest = z
  .object({
    id: z.string().regex(/^[a-z0-9-]+$/),
    label: z.string().min(1),
    description: z.string(),
    emoji: z.string().min(1),
    image: z.string().min(1),
    model_apis: z.array(z.enum(['openai-chat', 'openai-responses', 'anthropic-messages'])).min(1),
    env: z.object({ required: z.array(z.string()), optional: z.array(z.string()) }),
    /** Arguments for the image's init; empty = the built-in runtime. */
    command: z.array(z.string()),
    drive: z.object({
      kind: z.enum(['agentdesk-runtime', 'openai-http']),
      port: z.number().int().min(1).max(65535),
      health: z.string().startsWith('/'),
      turn: z.string().startsWith('/'),
      /** How long the harness may take to answer `health` after start, s (default: the deployer's, 30 s). */
      ready_timeout_s: z.number().int().min(1).max(600).optional(),
    }),
    /**
     * How `verifying` proves the model path from inside the container: `http` = GET this path of the
     * harness (2xx = works, else JSON `{error}`); `exec` = run the command in the container (exit 0 = works).
     */
    verify: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('http'), path: z.string().startsWith('/') }).strict(),
      z.object({ kind: z.literal('exec'), command: z.array(z.string()).min(1) }).strict(),
    ]),
    /** Mount the built-in runtime bundle read-only at /opt/agentdesk/runtime. */
    mounts_runtime: z.boolean(),
    /** Container runtimes the framework runs on (default: every one); deploy refuses the others. */
    runtimes: z
      .array(z.enum(['docker', 'incus']))
      .min(1)
      .optional(),
    /**
     * Configuration the app writes into the agent's home at deploy besides the env file:
     * `openclaw` = `~/.openclaw/openclaw.json` + the virtual key file (docs/frameworks/openclaw.md).
     */
    config: z.enum(['openclaw']).optional(),
  })
  .strict();
export type FrameworkManifest = z.infer<typeof FrameworkManifest>;

/**
 * Reads every `<dir>/<id>/manifest.json`. A broken manifest is skipped and reported in `errors`
 * (the app still starts); the folder name must equal the manifest's id.
 */
export function loadFrameworks(dir: string): {
  frameworks: Map<string, FrameworkManifest>;
  errors: string[];
} {
  const frameworks = new Map<string, FrameworkManifest>();
  const errors: string[] = [];
  let entries: string[] = [];
  try {
    entries = fs.readdirSync(dir).sort();
  } catch (err) {
    errors.push(`No frameworks folder at ${dir}: ${(err as Error).message}`);
  }
  for (const id of entries) {
    const file = path.join(dir, id, 'manifest.json');
    if (!fs.existsSync(file)) continue;
    try {
      const m = FrameworkManifest.parse(JSON.parse(fs.readFileSync(file, 'utf8')));
      if (m.id !== id) throw new Error(`its id "${m.id}" differs from its folder "${id}"`);
      frameworks.set(m.id, m);
    } catch (err) {
      errors.push(`${file}: ${(err as Error).message}`);
    }
  }
  return { frameworks, errors };
}

/** The DTO the UI sees. */
export function toFramework(m: FrameworkManifest): Framework {
  return {
    id: m.id,
    label: m.label,
    description: m.description,
    emoji: m.emoji,
    image: m.image,
    model_apis: m.model_apis,
  };
}
