/**
 * One shard job: the row cores of a plan's releases read a byte range of the dump into a
 * ShardState, after claiming the records of the bytes before it (traceShard), or logging what they
 * count to take back later what the earlier shards hold (traceDump's workers: take-back.ts).
 * traceDump runs its jobs in worker threads (trace-worker.ts) or in the calling thread.
 */
import { createHash, type Hash } from 'node:crypto';
import * as path from 'node:path';
import { RollmarkError } from '../errors.js';
import type { ByteRange } from '../csv/shards.js';
import { ReleaseCore } from './trace-core.js';
import type { ShardPlan } from './trace-plan.js';
import type { ShardClaims, ShardState } from './shard-state.js';
import { RowFeeder, hashRange, scanGzip, scanRange, type ReadCounters } from './shard-read.js';
import { CountedLog, takeBackShard, type EarlierRecords, type ShardRecords } from './take-back.js';

export type { ShardRecords } from './take-back.js';

/** One job of a trace: read `range`, after claiming `claim` (the bytes before it, or part). */
export interface ShardJob {
  range: ByteRange;
  /** Bytes whose records count as seen before `range` (a claim pass); null for none. */
  claim: ByteRange | null;
  /** Hash (SHA-256) every byte read, claim pass first: the whole file's hash when they cover it. */
  hash: boolean;
  /** With `hash`, after the range read the rest of the file into the hash too. */
  hashToEnd?: boolean;
  /**
   * Log the rows counted, to take back those the earlier shards hold once they are read
   * (take-back.ts): the claim-free way of traceDump's workers.
   */
  takeBack?: boolean;
}

export interface ShardResult {
  state: ShardState;
  /** SHA-256 of the bytes read (claim range, then range, then the rest), when the job asked for it. */
  sha256: string | null;
}

/** Cores for a plan's releases. */
export function makeCores(plan: ShardPlan): ReleaseCore[] {
  return plan.releases.map((s) => new ReleaseCore(s, plan.scoreShare));
}

/**
 * One shard job in this thread, in steps: `read` (the claim pass, then the range), `records` (for
 * the shards after it), `hashRest`, and `finish` (take back what the earlier shards hold, then the
 * state). A worker posts `records` as soon as the read is done, so that later shards need not wait
 * for this one's hashing.
 */
export class ShardRun {
  readonly cores: ReleaseCore[];
  private readonly counters: ReadCounters = { rows: 0, rowsRejected: 0, rejectedExamples: [] };
  private readonly hash: Hash | null;
  private readonly logs: CountedLog[] | null;
  private dedupedAgainst = 0;
  private encoding: 'utf8' | 'latin1' = 'utf8';

  constructor(
    readonly plan: ShardPlan,
    readonly job: ShardJob,
    private readonly onProgress?: (rows: number, bytes?: number) => void,
    earlier?: ShardClaims,
  ) {
    this.cores = makeCores(plan);
    this.hash = job.hash ? createHash('sha256') : null;
    this.logs = job.takeBack === true && job.range.start > 0 ? this.cores.map(() => new CountedLog()) : null;
    if (earlier !== undefined) {
      applyClaims(plan, this.cores, earlier);
      this.dedupedAgainst = earlier.dump.start === 0 ? earlier.dump.end : 0;
    }
  }

  /** Reads the claim range (record ids only), then the job's range into the cores. */
  async read(): Promise<void> {
    const { plan, job, cores } = this;
    let decoding = plan.dialect.decoding;
    if (job.claim !== null && job.claim.end > job.claim.start) {
      if (plan.gzip) throw new RollmarkError('USAGE', 'a gzip dump cannot be split into shards: trace it whole');
      const claimer = new RowFeeder(plan.dialect, cores, 'claim', { rows: 0, rowsRejected: 0, rejectedExamples: [] }, job.claim.start === 0);
      await scanRange(plan, claimer, job.claim.start, job.claim.end, this.hash);
      decoding = claimer.decoding;
      if (job.claim.start === 0) this.dedupedAgainst = Math.max(this.dedupedAgainst, job.claim.end);
    }
    const mode = this.logs === null ? 'observe' : { logs: this.logs };
    const feeder = new RowFeeder({ ...plan.dialect, decoding }, cores, mode, this.counters, job.range.start === 0, this.onProgress);
    if (plan.gzip) {
      if (job.range.start !== 0 || job.range.end < plan.size) throw new RollmarkError('USAGE', 'a gzip dump cannot be split into shards: trace it whole');
      await scanGzip(plan, feeder, this.counters);
    } else {
      await scanRange(plan, feeder, job.range.start, job.range.end, this.hash);
    }
    this.encoding = feeder.decoding === 'latin1' ? 'latin1' : 'utf8';
  }

  /** Each release's bitmap and canaries (the bitmap itself, not a copy). */
  records(): ShardRecords[] {
    return this.cores.map((c) => ({ seen: c.seen, canaries: [...c.canariesFound.keys(), ...c.canariesClaimed] }));
  }

  /** With `hashToEnd`, reads the bytes after the range into the hash. */
  async hashRest(): Promise<void> {
    const { plan, job, hash } = this;
    if (hash === null || job.hashToEnd !== true || job.range.end >= plan.size) return;
    await hashRange(plan.file, job.range.end, plan.size, hash);
  }

  /**
   * The shard's state, after taking back the rows whose records the earlier shards hold
   * (`earlier`, one a release, covering every byte before the range) when the job logged them.
   */
  finish(earlier: EarlierRecords[] | null): ShardResult {
    const { plan, job, cores } = this;
    if (this.logs !== null) {
      if (earlier === null || earlier.length !== cores.length) throw new RollmarkError('INTERNAL', 'a logged shard needs the records of the shards before it');
      cores.forEach((core, i) => takeBackShard(plan, core, this.logs![i], job.range, earlier[i]));
      this.dedupedAgainst = job.range.start;
    }
    const state = shardState(plan, cores, this.counters, job.range, this.dedupedAgainst, this.encoding);
    return { state, sha256: this.hash === null ? null : this.hash.digest('hex') };
  }
}

/** Runs one shard job in this thread, whole (a job that logs for a take-back cannot: use ShardRun). */
export async function runShardJob(
  plan: ShardPlan,
  job: ShardJob,
  onProgress?: (rows: number, bytes?: number) => void,
  earlier?: ShardClaims,
): Promise<ShardResult> {
  const run = new ShardRun(plan, { ...job, takeBack: false }, onProgress, earlier);
  await run.read();
  await run.hashRest();
  return run.finish(null);
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
