/**
 * Writing CSV: RFC 4180 field quoting (as csv-stringify does by default: quote only a value
 * holding the delimiter, a quote, CR or LF; double the quotes inside), and a buffered writer
 * that batches output into ~1 MiB Buffers, respects the stream's backpressure and keeps the
 * byte count and the SHA-256 of everything written, which copies and receipts need.
 *
 * SHA-256 comes from node:crypto (OpenSSL): the digest of a public file, no secret involved, and
 * several times faster than a JavaScript implementation (bench/csv.mjs measures both).
 */
import { createHash, type Hash } from 'node:crypto';
import { ioError } from '../errors.js';

const QUOTING = new Map<string, RegExp>();

function needsQuoting(delimiter: string): RegExp {
  let re = QUOTING.get(delimiter);
  if (re === undefined) {
    re = new RegExp(`["\\r\\n${delimiter.replace(/[\\\]^-]/g, '\\$&')}]`);
    QUOTING.set(delimiter, re);
  }
  return re;
}

const COMMA = /[",\r\n]/;

/** One field, quoted only when it must be. */
export function csvField(value: string, delimiter = ','): string {
  const re = delimiter === ',' ? COMMA : needsQuoting(delimiter);
  if (!re.test(value)) return value;
  return `"${value.indexOf('"') === -1 ? value : value.replaceAll('"', '""')}"`;
}

/**
 * One record's text, WITHOUT its line end: callers write it followed by `\n` (rollmark writes LF
 * line ends). `BufferedWriter.writeRecord` does both.
 */
export function csvLine(fields: readonly string[], delimiter = ','): string {
  const re = delimiter === ',' ? COMMA : needsQuoting(delimiter);
  let out = '';
  for (let i = 0; i < fields.length; i++) {
    const v = fields[i];
    if (i > 0) out += delimiter;
    out += re.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
  }
  return out;
}

export interface WriteSummary {
  /** Bytes written. */
  bytes: number;
  /** Hex SHA-256 of those bytes ('' when hashing was turned off). */
  sha256: string;
}

export interface BufferedWriterOptions {
  /** Named in errors. */
  file?: string;
  /** Batch size in bytes; default 1 MiB. */
  bufferSize?: number;
  /** Keep a SHA-256 of the output; default true. */
  hash?: boolean;
}

const LF = 10;

/**
 * Batches writes into large Buffers for a Writable (a fs WriteStream, stdout, a gzip stream).
 *
 * Node-style backpressure: the write methods return false once the stream wants no more; then
 * `await writer.drain()` before writing on. Ignoring it is safe but lets the stream's queue grow.
 *
 * ```ts
 * const w = new BufferedWriter(stream, { file });
 * for (...) if (!w.writeRecord(fields)) await w.drain();
 * const { bytes, sha256 } = await w.end();
 * ```
 */
export class BufferedWriter {
  private readonly stream: NodeJS.WritableStream;
  private readonly file: string | undefined;
  private readonly size: number;
  private readonly hash: Hash | null;
  private batch: Buffer;
  private fill = 0;
  private written = 0;
  private failure: Error | null = null;
  private waiting: Promise<void> | null = null;
  private ended = false;

  constructor(stream: NodeJS.WritableStream, opts: BufferedWriterOptions = {}) {
    this.stream = stream;
    this.file = opts.file;
    this.size = Math.max(opts.bufferSize ?? 1 << 20, 4096);
    this.hash = opts.hash === false ? null : createHash('sha256');
    this.batch = Buffer.allocUnsafeSlow(this.size);
    stream.on('error', (err: Error) => {
      this.failure ??= err;
    });
  }

  /** Bytes accepted so far (written or batched). */
  get bytes(): number {
    return this.written + this.fill;
  }

  /** Writes text as UTF-8. */
  write(text: string): boolean {
    // A UTF-16 code unit takes at most 3 UTF-8 bytes: a cheap bound that avoids measuring.
    if (text.length * 3 > this.size - this.fill) {
      let ok = this.fill > 0 ? this.flushBatch() : true;
      if (text.length * 3 > this.size) return this.emit(Buffer.from(text, 'utf8')) && ok;
      this.fill += this.batch.write(text, this.fill, 'utf8');
      return ok;
    }
    this.fill += this.batch.write(text, this.fill, 'utf8');
    return this.waiting === null;
  }

  /** Writes text followed by LF. */
  writeLine(text: string): boolean {
    this.write(text);
    return this.writeByte(LF);
  }

  /** Writes one CSV record and its LF line end. */
  writeRecord(fields: readonly string[], delimiter = ','): boolean {
    return this.writeLine(csvLine(fields, delimiter));
  }

  /** Writes one byte. */
  writeByte(b: number): boolean {
    if (this.fill === this.size) {
      const ok = this.flushBatch();
      this.batch[this.fill++] = b;
      return ok;
    }
    this.batch[this.fill++] = b;
    return this.waiting === null;
  }

  /** Copies bytes [start, end) of `src` (which may be reused afterwards: it is copied). */
  writeBytes(src: Uint8Array, start = 0, end = src.length): boolean {
    const n = end - start;
    if (n <= 0) return this.waiting === null;
    let ok = true;
    if (n > this.size - this.fill) {
      if (this.fill > 0) ok = this.flushBatch();
      if (n > this.size) return this.emit(Buffer.from(src.subarray(start, end))) && ok;
    }
    const batch = this.batch;
    if (n <= 16) {
      // A short copy is faster by hand than through the native call.
      let f = this.fill;
      for (let i = start; i < end; i++) batch[f++] = src[i];
      this.fill = f;
    } else {
      batch.set(src.subarray(start, end), this.fill);
      this.fill += n;
    }
    return ok && this.waiting === null;
  }

  /** Resolves when the stream can take more (at once if it can now); rejects on a stream error. */
  drain(): Promise<void> {
    if (this.failure) return Promise.reject(ioError(this.failure, this.file ?? ''));
    return this.waiting ?? Promise.resolve();
  }

  /** Hands the batch to the stream and waits until it is drained. Does not end the stream. */
  async flush(): Promise<void> {
    if (this.fill > 0) this.flushBatch();
    await this.drain();
  }

  /** The byte count and SHA-256 of everything accepted so far (flush first for a final value). */
  summary(): WriteSummary {
    if (this.fill > 0) throw new Error('BufferedWriter.summary: flush first');
    return { bytes: this.written, sha256: this.hash ? this.hash.copy().digest('hex') : '' };
  }

  /** Flushes, ends the stream, waits for it to finish; returns the byte count and SHA-256. */
  async end(): Promise<WriteSummary> {
    if (this.ended) return this.summary();
    if (this.fill > 0) this.flushBatch();
    this.ended = true;
    this.stream.end();
    try {
      await writeFinished(this.stream);
    } catch (err) {
      throw ioError(err, this.file ?? '');
    }
    if (this.failure) throw ioError(this.failure, this.file ?? '');
    return this.summary();
  }

  private flushBatch(): boolean {
    const out = this.batch.subarray(0, this.fill);
    // The stream keeps a reference until it has written the bytes: start a fresh batch.
    this.batch = Buffer.allocUnsafeSlow(this.size);
    this.fill = 0;
    return this.emit(out);
  }

  private emit(buf: Buffer): boolean {
    if (this.failure) throw ioError(this.failure, this.file ?? '');
    if (this.ended) throw new Error('BufferedWriter: write after end');
    this.hash?.update(buf);
    this.written += buf.length;
    const ok = this.stream.write(buf);
    if (!ok && this.waiting === null) {
      this.waiting = new Promise<void>((resolve, reject) => {
        const done = (err?: Error) => {
          this.stream.removeListener('drain', onDrain);
          this.stream.removeListener('error', onError);
          this.stream.removeListener('close', onClose);
          this.waiting = null;
          if (err) reject(ioError(err, this.file ?? ''));
          else resolve();
        };
        const onDrain = () => done();
        const onError = (err: Error) => done(err);
        const onClose = () => done(this.failure ?? new Error('stream closed before it drained'));
        this.stream.on('drain', onDrain);
        this.stream.on('error', onError);
        this.stream.on('close', onClose);
      });
      // A rejection nobody awaited yet must not crash the process: drain()/end() report it.
      this.waiting.catch(() => {});
    }
    return ok;
  }
}

/**
 * Resolves on 'finish', rejects on 'error'. Not `stream.finished`: that waits for 'close', which
 * a stream that leaves its descriptor open (autoClose: false, to fsync it) never emits.
 */
export function writeFinished(stream: NodeJS.WritableStream): Promise<void> {
  const s = stream as NodeJS.WritableStream & { writableFinished?: boolean; errored?: Error | null };
  if (s.errored) return Promise.reject(s.errored);
  if (s.writableFinished) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const onFinish = () => {
      stream.removeListener('error', onError);
      resolve();
    };
    const onError = (err: Error) => {
      stream.removeListener('finish', onFinish);
      reject(err);
    };
    stream.once('finish', onFinish);
    stream.once('error', onError);
  });
}
