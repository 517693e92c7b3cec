// OpenClaw as a harness (docs/harnesses/openclaw.md): its image from npm, its config in the config folder, driven by harness.mjs.
import type { HarnessPlugin } from '../harness';
import { newGatewayToken, OPENCLAW_ENV, writeOpenClawConfig } from './config';
import manifest from './manifest.json';

/**
 * OpenClaw 2026.9.6 on Node 24 (both from npm, image/package-lock.json), with the harness `harness.mjs`
 * that speaks the runtime protocol and reads OpenClaw's session store for tool events. The recipe files
 * are hashed in this order (the image label `agentdesk.openclaw.recipe`).
 */
export const harness: HarnessPlugin = {
  manifest,
  image: {
    version: manifest.version,
    files: [
      'image/package.json',
      'image/package-lock.json',
      'image/Dockerfile',
      'image/openclaw',
      'image/warm-compile-cache.sh',
      'harness.mjs',
      'compile-cache.mjs',
    ],
    context: ['node_modules'],
    buildArgs: { OPENCLAW_VERSION: manifest.version },
    size: 'about 300 MB',
  },
  configure(config, endpoint) {
    writeOpenClawConfig({
      config,
      baseUrl: `${endpoint.gateway}/v1`,
      virtualKey: endpoint.virtualKey,
      model: endpoint.model,
      fallbacks: endpoint.fallbacks,
      gatewayToken: newGatewayToken(),
    });
    return OPENCLAW_ENV;
  },
};
