/**
 * Files that appear complete or not at all. Output goes to `<dir>/.<name>.partial-<pid>-<hex>`
 * (a dot name in the same folder, so the final rename stays on one filesystem and is atomic);
 * `commit` flushes it to disk and only then gives it the final name. A failed or killed run
 * leaves at most a dot-partial file, never one that looks complete.
 *
 * Without `overwrite`, the final name is taken with link(2), which fails if the name exists, so
 * two runs cannot both win. Filesystems without hard links fall back to check-then-rename.
 */
import { promises as fsp, type WriteStream } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { RollmarkError, ioError } from '../errors.js';
import { BufferedWriter, writeFinished, type WriteSummary } from './write.js';

export interface AtomicFileOptions {
  /** Replace an existing file at the final path. Default false: FILE_EXISTS. */
  overwrite?: boolean;
  /** Permission bits for the new file (before umask); default 0o666. Use 0o600 for private files. */
  mode?: number;
}

export interface AtomicFile {
  /** The final path. */
  readonly path: string;
  /** Where the data is written until `commit`. */
  readonly partialPath: string;
  /** Write here (or through a BufferedWriter). Ended by `finish`/`commit` if still open. */
  readonly stream: WriteStream;
  /** Ends the stream, fsyncs and closes the partial file: the data is durable, not yet visible. */
  finish(): Promise<void>;
  /** `finish`, then gives the file its final name and fsyncs the folder. */
  commit(): Promise<void>;
  /** Stops writing and removes the partial file. Safe to call more than once, and after errors. */
  abort(): Promise<void>;
}

const NO_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV', 'EACCES']);

export async function openAtomicFile(finalPath: string, opts: AtomicFileOptions = {}): Promise<AtomicFile> {
  const dir = path.dirname(finalPath);
  const name = path.basename(finalPath);
  const partialPath = path.join(dir, `.${name}.partial-${process.pid}-${randomBytes(6).toString('hex')}`);
  // Fail before writing gigabytes, not after; commit checks again (atomically).
  if (!opts.overwrite && (await exists(finalPath))) {
    throw new RollmarkError('FILE_EXISTS', 'already exists (refusing to overwrite)', { file: finalPath });
  }
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(partialPath, 'wx', opts.mode ?? 0o666);
  } catch (err) {
    throw ioError(err, partialPath);
  }
  const stream = fh.createWriteStream({ autoClose: false, highWaterMark: 1 << 20 });
  let streamError: unknown = null;
  stream.on('error', (err) => {
    streamError ??= err;
  });
  let state: 'open' | 'finished' | 'committed' | 'aborted' = 'open';
  let finishing: Promise<void> | null = null;

  const finish = (): Promise<void> => {
    if (state === 'aborted') return Promise.reject(new Error(`${finalPath}: already aborted`));
    finishing ??= (async () => {
      try {
        if (!stream.writableEnded) stream.end();
        await writeFinished(stream);
        if (streamError) throw streamError;
        await fh.sync();
        // The stream holds the handle open (a FileHandle waits for its streams before closing);
        // destroying the stream closes both.
        if (!stream.closed) {
          await new Promise<void>((resolve) => {
            stream.once('close', () => resolve());
            stream.destroy();
          });
        }
        state = 'finished';
      } catch (err) {
        throw ioError(err, finalPath);
      }
    })();
    return finishing;
  };

  const commit = async (): Promise<void> => {
    if (state === 'committed') return;
    await finish();
    try {
      if (opts.overwrite) {
        await fsp.rename(partialPath, finalPath);
      } else {
        await claim(partialPath, finalPath);
      }
    } catch (err) {
      throw ioError(err, finalPath);
    }
    state = 'committed';
    await syncDir(dir);
  };

  const abort = async (): Promise<void> => {
    if (state === 'committed' || state === 'aborted') return;
    state = 'aborted';
    stream.destroy();
    await fh.close().catch(() => {});
    await fsp.unlink(partialPath).catch(() => {});
  };

  return { path: finalPath, partialPath, stream, finish, commit, abort };
}

/** Renames without replacing: link (fails on EEXIST) then unlink the partial name. */
async function claim(from: string, to: string): Promise<void> {
  try {
    await fsp.link(from, to);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (code === 'EEXIST') {
      throw new RollmarkError('FILE_EXISTS', 'already exists (refusing to overwrite)', { file: to });
    }
    if (!NO_LINKS.has(code)) throw err;
    if (await exists(to)) throw new RollmarkError('FILE_EXISTS', 'already exists (refusing to overwrite)', { file: to });
    await fsp.rename(from, to);
    return;
  }
  await fsp.unlink(from);
}

async function exists(p: string): Promise<boolean> {
  try {
    await fsp.lstat(p);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw ioError(err, p);
  }
}

/** Makes the rename itself durable; not every platform can fsync a folder, which is fine. */
async function syncDir(dir: string): Promise<void> {
  let h: fsp.FileHandle | null = null;
  try {
    h = await fsp.open(dir, 'r');
    await h.sync();
  } catch {
    // best effort
  } finally {
    await h?.close().catch(() => {});
  }
}

/** An atomic file with a BufferedWriter on it: write, then `commit` for the size and SHA-256. */
export interface AtomicWriter {
  readonly file: AtomicFile;
  readonly writer: BufferedWriter;
  /** Flushes and makes the data durable under the partial name; returns size and SHA-256. */
  finish(): Promise<WriteSummary>;
  /** `finish`, then the final name. */
  commit(): Promise<WriteSummary>;
  abort(): Promise<void>;
}

export async function openAtomicWriter(finalPath: string, opts: AtomicFileOptions & { bufferSize?: number } = {}): Promise<AtomicWriter> {
  const file = await openAtomicFile(finalPath, opts);
  const writer = new BufferedWriter(file.stream, { file: finalPath, bufferSize: opts.bufferSize });
  let summary: WriteSummary | null = null;
  const finish = async (): Promise<WriteSummary> => {
    if (summary === null) {
      try {
        summary = await writer.end();
      } catch (err) {
        await file.abort();
        throw err;
      }
      await file.finish();
    }
    return summary;
  };
  return {
    file,
    writer,
    finish,
    commit: async () => {
      const s = await finish();
      await file.commit();
      return s;
    },
    abort: () => file.abort(),
  };
}
