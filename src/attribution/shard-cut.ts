/**
 * Cutting a dump for traceDump's worker threads: at record boundaries, into shards of unequal
 * size, so that workers that first claim the bytes before their shard all finish together.
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
 * Shard sizes that make every worker finish together when worker k first claims all the bytes
 * before its shard (cost `claim` a byte, relative to a full read's 1) and the last worker also
 * hashes the whole file (cost `hash` a byte). Returns the cut offsets (without 0 and size).
 */
export function balancedTargets(size: number, workers: number, claim: number, hash: number): number[] {
  const sizes = (T: number): number[] => {
    const s: number[] = [];
    let before = 0;
    for (let k = 0; k < workers; k++) {
      const v = Math.max(0, T - claim * before - (k === workers - 1 ? hash * size : 0));
      s.push(v);
      before += v;
    }
    return s;
  };
  let lo = 0;
  let hi = size * (1 + hash);
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    const total = sizes(mid).reduce((a, b) => a + b, 0);
    if (total < size) lo = mid;
    else hi = mid;
  }
  const s = sizes(hi);
  const out: number[] = [];
  let at = 0;
  for (let k = 0; k < workers - 1; k++) {
    at += s[k];
    if (s[k] > 0 && at < size) out.push(at);
  }
  return out;
}
