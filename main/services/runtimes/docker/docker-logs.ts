// Demultiplexes Docker's non-TTY log and exec streams (8-byte frame headers) into lines or collected text.
import { Readable, Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { LineSplitter } from '../../../platform/output-lines';

/**
 * The part of docker-modem used here. `demuxStream` reads the stream format of the Engine API
 * (`application/vnd.docker.raw-stream`: header byte 0 = stream 1 stdout / 2 stderr, bytes 4–7 =
 * big-endian length) and falls back to pass-through when the stream is not multiplexed (TTY).
 */
export interface DemuxModem {
  demuxStream(
    source: NodeJS.ReadableStream,
    stdout: NodeJS.WritableStream,
    stderr: NodeJS.WritableStream,
  ): void;
}

/** A Writable that decodes UTF-8 (safe across frame boundaries) and hands text to `onText`. */
function textSink(onText: (text: string) => void, onEnd?: () => void): Writable {
  const decoder = new StringDecoder('utf8');
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      onText(decoder.write(chunk));
      done();
    },
    final(done) {
      const rest = decoder.end();
      if (rest) onText(rest);
      onEnd?.();
      done();
    },
  });
}

/**
 * Demuxes `source` and calls `onLine` for each complete, non-blank line (stdout and stderr each split
 * on their own, so a partial line of one never merges with the other; ANSI sequences removed).
 * Resolves when the source ends or closes; rejects with the source's error.
 */
export function demuxLines(
  modem: DemuxModem,
  source: NodeJS.ReadableStream,
  onLine: (line: string) => void,
): Promise<void> {
  const outLines = new LineSplitter(onLine);
  const errLines = new LineSplitter(onLine);
  const out = textSink((t) => outLines.push(t));
  const err = textSink((t) => errLines.push(t));
  modem.demuxStream(source, out, err);
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (error?: Error): void => {
      if (settled) return;
      settled = true;
      out.end();
      err.end();
      // `final` runs asynchronously; flush what is buffered once both sinks have finished.
      let pending = 2;
      const flushed = (): void => {
        if (--pending > 0) return;
        outLines.end();
        errLines.end();
        if (error) reject(error);
        else resolve();
      };
      out.once('finish', flushed);
      err.once('finish', flushed);
    };
    source.on('end', () => finish());
    source.on('close', () => finish());
    source.on('error', (e: Error) => finish(e));
  });
}

/**
 * The lines of a non-follow `GET /containers/{id}/logs` answer, which docker-modem returns as one
 * Buffer (multiplexed for non-TTY containers, raw for TTY ones).
 */
export async function demuxBufferLines(modem: DemuxModem, body: Buffer | string): Promise<string[]> {
  const lines: string[] = [];
  const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  await demuxLines(modem, Readable.from([buf]), (l) => lines.push(l));
  return lines;
}

/**
 * Collects the demuxed stdout and stderr of an exec stream as text until it ends (UTF-8, nothing
 * trimmed; each kept to its first `maxChars` characters so a runaway command cannot grow memory).
 * Rejects with the stream's error.
 */
export function collectOutput(
  modem: DemuxModem,
  source: NodeJS.ReadableStream,
  maxChars = 1024 * 1024,
): Promise<{ stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  let finished = 0;
  return new Promise((resolve, reject) => {
    let settled = false;
    const done = (): void => {
      if (++finished === 2 && !settled) {
        settled = true;
        resolve({ stdout, stderr });
      }
    };
    const out = textSink(
      (t) => {
        if (stdout.length < maxChars) stdout = (stdout + t).slice(0, maxChars);
      },
      () => done(),
    );
    const err = textSink(
      (t) => {
        if (stderr.length < maxChars) stderr = (stderr + t).slice(0, maxChars);
      },
      () => done(),
    );
    modem.demuxStream(source, out, err);
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      out.end();
      err.end();
    };
    source.on('end', end);
    source.on('close', end);
    source.on('error', (e: Error) => {
      if (settled) return;
      settled = true;
      reject(e);
    });
  });
}
