/**
 * One shard job: the row cores of a plan's releases read a byte range of the dump into a
 * ShardState, after claiming the records of the bytes before it. traceDump runs its jobs in
 * worker threads (trace-worker.ts) or in the calling thread; traceShard (trace-shard.ts) runs one.
 */
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { RollmarkError } from '../errors.js';
import type { ByteRange } from '../csv/shards.js';
import { ReleaseCore } from './trace-core.js';
import type { ShardPlan } from './trace-plan.js';
import type { ShardClaims, ShardState } from './shard-state.js';
import { RowFeeder, scanGzip, scanRange, type ReadCounters } from './shard-read.js';

/** One job of a trace: read `range`, after claiming `claim` (the bytes before it, or part). */
export interface ShardJob {
  range: ByteRange;
  /** Bytes whose records count as seen before `range` (a claim pass); null for none. */
  claim: ByteRange | null;
  /** Hash (SHA-256) every byte read, claim pass first: the whole file's hash when they cover it. */
  hash: boolean;
}

export interface ShardResult {
  state: ShardState;
  /** SHA-256 of the bytes read (claim range, then range), when the job asked for it. */
  sha256: string | null;
}

/** Cores for a plan's releases. */
export function makeCores(plan: ShardPlan): ReleaseCore[] {
  return plan.releases.map((s) => new ReleaseCore(s, plan.scoreShare));
}

/** Runs one shard job in this thread: the row core over the range, with the scanner. */
export async function runShardJob(
  plan: ShardPlan,
  job: ShardJob,
  onProgress?: (rows: number, bytes?: number) => void,
  earlier?: ShardClaims,
): Promise<ShardResult> {
  const cores = makeCores(plan);
  const counters: ReadCounters = { rows: 0, rowsRejected: 0, rejectedExamples: [] };
  const hash = job.hash ? createHash('sha256') : null;
  let decoding = plan.dialect.decoding;
  let dedupedAgainst = 0;
  if (earlier !== undefined) {
    applyClaims(plan, cores, earlier);
    dedupedAgainst = earlier.dump.start === 0 ? earlier.dump.end : 0;
  }
  if (job.claim !== null && job.claim.end > job.claim.start) {
    if (plan.gzip) throw new RollmarkError('USAGE', 'a gzip dump cannot be split into shards: trace it whole');
    const claimer = new RowFeeder(plan.dialect, cores, true, { rows: 0, rowsRejected: 0, rejectedExamples: [] }, job.claim.start === 0);
    await scanRange(plan, claimer, job.claim.start, job.claim.end, hash);
    decoding = claimer.decoding;
    if (job.claim.start === 0) dedupedAgainst = Math.max(dedupedAgainst, job.claim.end);
  }
  const feeder = new RowFeeder({ ...plan.dialect, decoding }, cores, false, counters, job.range.start === 0, onProgress);
  if (plan.gzip) {
    if (job.range.start !== 0 || job.range.end < plan.size) throw new RollmarkError('USAGE', 'a gzip dump cannot be split into shards: trace it whole');
    await scanGzip(plan, feeder, counters);
  } else {
    await scanRange(plan, feeder, job.range.start, job.range.end, hash);
  }
  const state = shardState(plan, cores, counters, job.range, dedupedAgainst, feeder.decoding === 'latin1' ? 'latin1' : 'utf8');
  return { state, sha256: hash === null ? null : hash.digest('hex') };
}

/** The state of cores after reading a range. */
export function shardState(
  plan: ShardPlan,
  cores: ReleaseCore[],
  counters: ReadCounters,
  range: ByteRange,
  dedupedAgainst: number,
  encoding: 'utf8' | 'latin1',
): ShardState {
  return {
    format: 'rollmark-trace-shard',
    version: 1,
    plan: plan.digest,
    dump: { file: path.basename(plan.file), size: plan.size, start: range.start, end: range.end, dedupedAgainst },
    rows: counters.rows,
    rowsRejected: counters.rowsRejected,
    rejectedExamples: counters.rejectedExamples,
    encoding,
    releases: cores.map((c) => ({
      release: c.release,
      rowsMatched: c.rowsMatched,
      rowsDuplicate: c.rowsDuplicate,
      recordsScored: c.recordsScored,
      matchedBy: { key: c.matchedBy.key, match: [...c.matchedBy.match] },
      canariesFound: [...c.canariesFound.keys()],
      groups: [...c.groups()],
      tally: c.tallyJSON(),
    })),
  };
}

function applyClaims(plan: ShardPlan, cores: ReleaseCore[], claims: ShardClaims): void {
  if (claims.format !== 'rollmark-trace-claims' || claims.version !== 1) throw new RollmarkError('USAGE', 'not rollmark trace claims');
  if (claims.plan !== plan.digest) throw new RollmarkError('USAGE', 'the claims come from a different dump, vault or column mapping');
  for (const core of cores) {
    const c = claims.releases.find((r) => r.release === core.release);
    if (c === undefined) throw new RollmarkError('USAGE', `the claims hold no release '${core.release}'`);
    const seen = Buffer.from(c.seen, 'base64');
    if (seen.length !== core.seen.length) throw new RollmarkError('USAGE', `the claims for release '${core.release}' have the wrong size`);
    for (let i = 0; i < seen.length; i++) core.seen[i] |= seen[i];
    for (const k of c.canaries) core.canariesClaimed.add(k);
  }
}
