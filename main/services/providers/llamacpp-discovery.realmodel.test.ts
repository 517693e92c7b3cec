// Discovery finds a real llama.cpp server (scripts/real-model.sh) on its usual port 8080, with the models of its real /v1/models.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REAL_MODEL_ID, realModelAvailable, realModelScript } from '../../../test/real-model';
import { skipUnlessReal } from '../../../test/real';
import { SecretRedactor } from '../../platform/secret-redactor';
import { discover } from './discovery';

const skip = skipUnlessReal(realModelAvailable(), 'the real model (scripts/real-model.sh start)');

describe.skipIf(skip)('discovery of a real llama-server on port 8080', () => {
  let started = false;
  beforeAll(() => {
    // A second server of the cached install, on llama.cpp's usual port (fails when 8080 is taken).
    realModelScript('start', '--port', '8080');
    started = true;
  }, 300_000);
  afterAll(() => {
    if (started) realModelScript('stop', '--port', '8080');
  });

  it('reports it as llama.cpp at http://127.0.0.1:8080/v1 with its model, probing no other port for it', async () => {
    const d = await discover({ known: [], redactor: new SecretRedactor(), env: {}, timeoutMs: 3000 });
    const server = d.servers.find((s) => s.type === 'llamacpp');
    expect(server).toMatchObject({
      base_url: 'http://127.0.0.1:8080/v1',
      model_count: 1,
      models: [REAL_MODEL_ID],
      added_as: null,
    });
    expect(d.probed).toContain('http://127.0.0.1:8080/v1/models');
  });
});
