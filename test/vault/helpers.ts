import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach } from 'vitest';
import { RollmarkError, type ErrorCode } from '../../src/errors.js';

const made: string[] = [];

/** A fresh temporary folder, removed after the test. */
export async function tempDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rollmark-vault-'));
  made.push(dir);
  return dir;
}

afterEach(async () => {
  while (made.length) await fs.rm(made.pop() as string, { recursive: true, force: true });
});

/** The file mode's permission bits. */
export async function modeOf(file: string): Promise<number> {
  return (await fs.stat(file)).mode & 0o777;
}

/** Runs `fn`, expects a RollmarkError with `code`, returns it. */
export async function rejects(fn: () => Promise<unknown>, code: ErrorCode): Promise<RollmarkError> {
  try {
    await fn();
  } catch (err) {
    if (!(err instanceof RollmarkError)) throw err;
    if (err.code !== code) throw new Error(`expected ${code}, got ${err.code}: ${err.format()}`);
    return err;
  }
  throw new Error(`expected ${code}, but nothing was thrown`);
}
