// A changed base image recipe must come with a new image version, or engines would keep the old image under the same ref.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadHarnesses } from '../harnesses';
import { BASE_IMAGE_REF, BASE_IMAGE_VERSION, BASE_RECIPE_SHA256 } from './image-manifest';

const recipe = path.join(process.cwd(), 'scripts', 'images');

describe('base image recipe', () => {
  it('matches the hash recorded for its version (change the recipe → bump BASE_IMAGE_VERSION and the ref)', () => {
    const h = crypto.createHash('sha256');
    for (const f of ['build-base-rootfs.sh', 'agentdesk-init'])
      h.update(fs.readFileSync(path.join(recipe, f)));
    const now = h.digest('hex');
    expect(
      now,
      `scripts/images changed: raise BASE_IMAGE_VERSION (now ${BASE_IMAGE_VERSION}) with the ref in image-manifest.ts, the build script, the manifests, then set BASE_RECIPE_SHA256 to ${now}`,
    ).toBe(BASE_RECIPE_SHA256);
  });

  it('names its version in the ref, in the build script, and in every harness image built FROM it', () => {
    expect(BASE_IMAGE_REF).toBe(`agentdesk/agent-base:${BASE_IMAGE_VERSION}`);
    const script = fs.readFileSync(path.join(recipe, 'build-base-rootfs.sh'), 'utf8');
    expect(script).toContain(`readonly IMAGE_REF='${BASE_IMAGE_REF}'`);
    expect(script).toContain(`readonly IMAGE_VERSION=${BASE_IMAGE_VERSION}`);
    const harnesses = loadHarnesses().list();
    for (const h of harnesses)
      expect(h.manifest.image, h.manifest.id).toBe(
        h.image
          ? `agentdesk/${h.manifest.id}:${h.manifest.version}-base${BASE_IMAGE_VERSION}`
          : BASE_IMAGE_REF,
      );
    expect(harnesses.find((h) => h.manifest.id === 'builtin')?.manifest.image).toBe(BASE_IMAGE_REF);
  });
});
