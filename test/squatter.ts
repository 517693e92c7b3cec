// Test helper: another program squatting a TCP port on 127.0.0.1 (a child process), counting what it receives.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';

/** A process of another program holding `port` on 127.0.0.1: it answers 200 to anything and counts requests. */
export interface Squatter {
  child: ChildProcess;
  /** Requests received so far (`METHOD url`). */
  requests: string[];
  stop(): Promise<void>;
}

/** Starts a {@link Squatter} on 127.0.0.1:`port`; resolves once it listens. */
export async function squat(port: number): Promise<Squatter> {
  const script = `
    const http = require('node:http');
    http.createServer((req, res) => {
      process.stdout.write('REQ ' + req.method + ' ' + req.url + '\\n');
      req.resume();
      res.end('{"choices":[{"message":{"content":"squatted"}}]}');
    }).listen(${port}, '127.0.0.1', () => process.stdout.write('LISTENING\\n'));`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const requests: string[] = [];
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (c: string) => {
      out += c;
      for (;;) {
        const nl = out.indexOf('\n');
        if (nl < 0) break;
        const line = out.slice(0, nl);
        out = out.slice(nl + 1);
        if (line === 'LISTENING') resolve();
        else if (line.startsWith('REQ ')) requests.push(line.slice(4));
      }
    });
    child.once('exit', (code) => reject(new Error(`the squatter exited (${code}) before it listened`)));
  });
  return {
    child,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}
