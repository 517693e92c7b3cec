// A harness's manifest (main/services/harnesses/<id>/manifest.json): what it speaks, where it runs, what it needs, how the core drives it.
import { z } from 'zod';
import type { Harness as HarnessDto } from '../../../contract/agents';

/** The model APIs a harness can speak to the gateway (docs/harnesses.md). */
export const ApiShape = z.enum(['openai-chat', 'openai-responses', 'anthropic-messages']);
export type ApiShape = z.infer<typeof ApiShape>;

/** A served model name pattern: `<provider>/<model>` where `*` stands for any run of characters. */
const ModelPattern = z
  .string()
  .min(3)
  .max(200)
  .regex(/^[A-Za-z0-9*][A-Za-z0-9._:@*/-]*$/, 'a model pattern is `<provider>/<model>` with `*` wildcards');

/** The manifest file's shape. */
export const HarnessManifest = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'lowercase letters, digits and dashes, ≤ 32'),
    label: z.string().min(1).max(64),
    description: z.string().max(500),
    /** The default emoji of its agents. */
    emoji: z.string().min(1).max(32),
    /** The harness's own version (its npm package's for npm harnesses). */
    version: z.string().min(1).max(64),
    /** The image its containers run from: the base image, or one built FROM it (see the plugin's `image`). */
    image: z.string().min(1),
    /** The model APIs it calls the gateway with. */
    api_shapes: z.array(ApiShape).min(1),
    /** Container engines it runs on; create refuses the others. */
    engines: z.array(z.enum(['docker', 'incus'])).min(1),
    /** Served models it accepts: `"any"`, or patterns (`scripted/*`); create refuses the others. */
    models: z.union([z.literal('any'), z.array(ModelPattern).min(1)]),
    /**
     * Memory its container needs, MiB: `min_mib` is refused below at create (the kernel would kill it,
     * measured for each harness in docs/harnesses/<id>.md); `default_mib` when the user gives none.
     */
    memory: z
      .object({ min_mib: z.number().int().min(128).max(65536), default_mib: z.number().int().max(65536) })
      .strict()
      .refine((m) => m.default_mib >= m.min_mib, 'default_mib must be at least min_mib'),
    /** Arguments for the image's init (`agentdesk-init`); empty = the built-in runtime. */
    command: z.array(z.string()),
    /** Mount the runtime bundles (out/agent-runtime) read-only at /opt/agentdesk/runtime. */
    mounts_runtime: z.boolean(),
    /** How the core drives it: the Agent Desk runtime protocol (resources/agent-runtime/PROTOCOL.md) on `port`. */
    drive: z
      .object({
        port: z.number().int().min(1).max(65535),
        health: z.string().startsWith('/'),
        turn: z.string().startsWith('/'),
        /** How long the harness may take to answer `health` after start, s (default: the deployer's, 30 s). */
        ready_timeout_s: z.number().int().min(1).max(600).optional(),
      })
      .strict(),
    /** `verifying` GETs this path of the harness: 2xx = the model path works from inside, else JSON `{error}`. */
    verify: z.object({ path: z.string().startsWith('/') }).strict(),
    /**
     * Whether the harness applies an agent's own system prompt, temperature and tools switch (the env
     * file's AGENTDESK_SYSTEM_PROMPT/TEMPERATURE/TOOLS, resources/agent-runtime/PROTOCOL.md). A harness that
     * does not (it brings its own prompt and tools) gets them refused at create and configure rather than
     * silently ignored. Default false.
     */
    instructions: z.boolean().default(false),
  })
  .strict();
export type HarnessManifest = z.infer<typeof HarnessManifest>;

/** `*` in a model pattern matches any run of characters; everything else is literal. */
function patternRegex(pattern: string): RegExp {
  const body = pattern
    .split('*')
    .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`);
}

/** Whether the manifest accepts the served model `model` (`<provider>/<model>`). */
export function acceptsModel(m: Pick<HarnessManifest, 'models'>, model: string): boolean {
  return m.models === 'any' || m.models.some((p) => patternRegex(p).test(model));
}

/** The DTO the UI and the CLI see (`harnesses.list`). */
export function toHarness(m: HarnessManifest): HarnessDto {
  return {
    id: m.id,
    label: m.label,
    description: m.description,
    emoji: m.emoji,
    version: m.version,
    image: m.image,
    api_shapes: m.api_shapes,
    engines: m.engines,
    models: m.models,
    memory: m.memory,
    instructions: m.instructions,
  };
}
