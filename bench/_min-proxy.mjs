// Benchmark baseline: the smallest Node proxy of the gateway's shape — node:http in front, the body read whole,
// the key swapped, the request sent through an undici Agent configured as the gateway's (upstream.ts), the answer
// written back with its status, content-type and content-length — and nothing else (no key check, budgets,
// validation, scrubbing, usage or records). What two sockets per request cost on this machine: the floor under
// the gateway's figures. Prints its URL; stops when stdin closes.
// Usage: node _min-proxy.mjs <upstream url> <upstream key>
import http from 'node:http';
import { Agent } from 'undici';

const [upstream, upstreamKey] = process.argv.slice(2);
const agent = new Agent({
  connections: null,
  pipelining: 1,
  headersTimeout: 0,
  bodyTimeout: 0,
  keepAliveTimeout: 4_000,
  keepAliveTimeoutThreshold: 1_000,
});
const auth = `Bearer ${upstreamKey}`;

const server = http.createServer({ noDelay: true, keepAlive: true }, (req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
    const parts = [];
    agent.dispatch(
      {
        origin: upstream,
        method: req.method,
        path: req.url,
        headers: {
          'content-type': 'application/json',
          'content-length': String(body.length),
          authorization: auth,
        },
        body,
      },
      {
        onRequestStart() {},
        onResponseStart(_c, status, headers) {
          res.statusCode = status;
          const type = headers['content-type'];
          if (type) res.setHeader('content-type', type);
          const length = headers['content-length'];
          if (length) res.setHeader('content-length', length);
        },
        onResponseData(_c, chunk) {
          // A stream is written as it arrives; a body of known length at its end, in one write.
          if (res.hasHeader('content-length')) parts.push(chunk);
          else res.write(chunk);
        },
        onResponseEnd() {
          res.end(parts.length === 1 ? parts[0] : parts.length ? Buffer.concat(parts) : undefined);
        },
        onResponseError(_c, err) {
          if (!res.headersSent) res.writeHead(502).end(String(err.message));
          else res.destroy();
        },
      },
    );
  });
});
server.listen(0, '127.0.0.1', () => console.log(`http://127.0.0.1:${server.address().port}`));
process.stdin.resume();
process.stdin.on('end', () => {
  server.close();
  server.closeAllConnections();
  void agent.close();
  process.exit(0);
});
