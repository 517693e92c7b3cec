// Benchmark upstream: a minimal OpenAI-compatible provider (models, chat, SSE chat) answering at once. Prints its URL.
import http from 'node:http';

const KEY = process.env.BENCH_UPSTREAM_KEY ?? '';
const models = {
  object: 'list',
  data: [{ id: 'bench-model', object: 'model', created: 1, owned_by: 'bench' }],
};

http
  .createServer((req, res) => {
    if (KEY && req.headers.authorization !== `Bearer ${KEY}`) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"message":"bad key"}}');
      return req.resume();
    }
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(models));
      return req.resume();
    }
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString() || '{}');
      const base = { id: 'chatcmpl-bench', created: 1, model: body.model };
      const usage = { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 };
      if (!body.stream) {
        const out = JSON.stringify({
          ...base,
          object: 'chat.completion',
          choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
          usage,
        });
        return res
          .writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) })
          .end(out);
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const chunk = (delta, finish = null) =>
        `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
      res.write(chunk({ role: 'assistant', content: 'o' }));
      setTimeout(() => {
        res.write(chunk({ content: 'k' }));
        res.write(chunk({}, 'stop'));
        if (body.stream_options?.include_usage)
          res.write(
            `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [], usage })}\n\n`,
          );
        res.end('data: [DONE]\n\n');
      }, 5);
    });
  })
  .listen(0, '127.0.0.1', function () {
    console.log(`http://127.0.0.1:${this.address().port}`);
  });
