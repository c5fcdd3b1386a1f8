/**
 * Cutting a dump for traceDump's worker threads: at record boundaries, into shards sized so that
 * the workers all finish together.
 */
import { promises as fsp } from 'node:fs';
import { ioError } from '../errors.js';
import { DEFAULT_MAX_RECORD_BYTES, delimiterByte } from '../csv/scanner.js';
import { findCut, type ByteRange } from '../csv/shards.js';

/**
 * Cuts a dump at record boundaries near the given byte offsets (csv/shards.ts's findCut, the rule
 * planShards uses). A target whose window proves no boundary is dropped: fewer ranges, never a
 * wrong one.
 */
export async function cutAt(file: string, size: number, targets: number[], delimiter: string): Promise<ByteRange[]> {
  const delim = delimiterByte(delimiter);
  const maxRecord = DEFAULT_MAX_RECORD_BYTES;
  const cuts = [0];
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(file, 'r');
  } catch (err) {
    throw ioError(err, file);
  }
  try {
    const head = Buffer.alloc(3);
    await fh.read(head, 0, 3, 0);
    const bomLen = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
    const window = Buffer.allocUnsafe(maxRecord + 2);
    for (const raw of targets) {
      const target = Math.floor(raw);
      const prev = cuts[cuts.length - 1];
      if (target <= prev || target <= bomLen || target >= size) continue;
      const from = target - 1;
      const { bytesRead } = await fh.read(window, 0, Math.min(window.length, size - from), from);
      const cut = findCut(window.subarray(0, bytesRead), from, target, size, bomLen, delim, maxRecord);
      if (cut > prev && cut < size) cuts.push(cut);
    }
  } catch (err) {
    throw ioError(err, file);
  } finally {
    await fh.close();
  }
  return cuts.map((c, i) => ({ start: c, end: i + 1 < cuts.length ? cuts[i + 1] : size }));
}

/**
 * Cut offsets (without 0 and size) that make workers finish together when each reads its own
 * shard and the first also reads the whole file into the hash (cost `hash` a byte, against a
 * read's 1). What later shards take back (take-back.ts) is left out: a few per cent at most on a
 * dump that does not repeat its records.
 */
export function hashFirstTargets(size: number, workers: number, hash: number): number[] {
  if (workers < 2) return [];
  const per = (size * (1 + hash)) / workers;
  const first = Math.max(0, per - hash * size);
  const rest = (size - first) / (workers - 1);
  const out: number[] = [];
  for (let k = 0; k < workers - 1; k++) {
    const at = first + k * rest;
    if (at > 0 && at < size) out.push(at);
  }
  return out;
}
