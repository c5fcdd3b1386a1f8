import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The compiled worker `name` beside the running bundle (`name.js` beside `index.js`, `.cjs`
 * beside `.cjs`), or null: running from the TypeScript sources (the tests) there is none, and
 * callers do the work in the calling thread with the same results.
 */
export function compiledWorkerFile(name: string): string | null {
  let here: string;
  try {
    here = fileURLToPath(import.meta.url);
  } catch {
    return null;
  }
  const ext = path.extname(here);
  if (ext !== '.js' && ext !== '.cjs' && ext !== '.mjs') return null;
  const file = path.join(path.dirname(here), `${name}${ext}`);
  return fs.existsSync(file) ? file : null;
}
