import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { ioError } from '../errors.js';

/**
 * One recipient's copy being written: pieces of ~1 MB are hashed as they go and written to a dot-named temporary file in the output folder; `commit` renames it to its
 * final name, `abort` removes it. Until commit nothing under the final name exists, so a failed
 * or killed run never leaves a file that looks complete.
 */
export class CopySink {
  readonly finalPath: string;
  readonly tempPath: string;
  private readonly stream: fs.WriteStream;
  private readonly hash = createHash('sha256');
  private failure: Error | null = null;
  bytes = 0;
  rows = 0;

  constructor(finalPath: string) {
    this.finalPath = finalPath;
    this.tempPath = path.join(path.dirname(finalPath), `.${path.basename(finalPath)}.partial-${process.pid}-${randomBytes(4).toString('hex')}`);
    // A deep queue: the issuer keeps marking while the file system writes.
    this.stream = fs.createWriteStream(this.tempPath, { flags: 'wx', mode: 0o644, highWaterMark: 8 << 20 });
    this.stream.on('error', (err) => {
      this.failure = ioError(err, this.finalPath);
    });
  }

  /**
   * Writes a piece of the copy; resolves once the stream can take more (backpressure). `written`
   * is called once the piece has left for the file (or failed): then its buffer may be reused.
   */
  async write(buf: Buffer, written?: () => void): Promise<void> {
    if (this.failure) throw this.failure;
    if (buf.length === 0) {
      written?.();
      return;
    }
    this.hash.update(buf);
    this.bytes += buf.length;
    if (!this.stream.write(buf, written)) {
      await new Promise<void>((resolve, reject) => {
        const onDrain = () => {
          this.stream.off('error', onError);
          resolve();
        };
        const onError = (err: Error) => {
          this.stream.off('drain', onDrain);
          reject(ioError(err, this.finalPath));
        };
        this.stream.once('drain', onDrain);
        this.stream.once('error', onError);
      });
    }
    if (this.failure) throw this.failure;
  }

  /** Writes what is left, fsyncs and closes the temporary file; returns its sha256. */
  async finish(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.stream.end((err?: Error | null) => (err ? reject(ioError(err, this.finalPath)) : resolve()));
    });
    if (this.failure) throw this.failure;
    const fh = await fsp.open(this.tempPath, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    return this.hash.digest('hex');
  }

  async commit(): Promise<void> {
    try {
      await fsp.rename(this.tempPath, this.finalPath);
    } catch (err) {
      throw ioError(err, this.finalPath);
    }
  }

  async abort(): Promise<void> {
    this.stream.destroy();
    await fsp.rm(this.tempPath, { force: true });
  }
}
