/**
 * Trace by shards: read a byte range of a dump with the byte scanner into a mergeable state, and
 * merge the states of every range into the report, with any engine that runs jobs (Spark, Ray, a
 * job array):
 *
 *   const ranges = await planShards(dump, 64, { delimiter });          // csv/shards.ts
 *   const states = await Promise.all(ranges.map((range) => traceShard({ vault, dump, range })));
 *   const report = await mergeShards({ vault, dump, states });
 *
 * De-duplication across shards. Each record counts once, and which of its rows counts must not
 * depend on how the dump was cut or on thread timing, or the report would change from run to run:
 * two rows of one record (or of two records whose ids share a bit of the de-duplication bitmap)
 * may show different cells. The rule is the single reader's: the FIRST row in file order wins.
 * A shard learns which records the bytes before it hold by a claim pass over them (record ids
 * only: no marks, no evidence), or from `claimShard` states of the earlier shards merged with
 * `mergeClaims`; its rows of those records then count as duplicates. (traceDump's own workers
 * skip the claim pass: each logs what it counts and takes back afterwards what the earlier
 * shards hold, take-back.ts; that needs the shard's log kept between the two steps, which a job
 * engine's stateless tasks do not give.) A state records the bytes it
 * was de-duplicated against, and `mergeShards` refuses a set of states that does not tile the dump
 * with every shard de-duplicated against all the bytes before it: counting a position twice would
 * break the independence the false-accusation bound rests on.
 *
 * The rooms of a trace: trace-plan.ts (what every shard agrees on), shard-read.ts (the byte
 * scanner's rows), shard-job.ts (one range into a state), shard-state.ts (the state's JSON),
 * trace-finish.ts (merging the states into the signed report), shard-cut.ts (cutting for workers).
 */
import * as path from 'node:path';
import { RollmarkError } from '../errors.js';
import type { ByteRange } from '../csv/shards.js';
import type { Vault } from '../vault/vault.js';
import type { TraceReport } from './report.js';
import { prepareTrace, type ShardPlan } from './trace-plan.js';
import type { ShardClaims, ShardState } from './shard-state.js';
import { RowFeeder, scanRange } from './shard-read.js';
import { makeCores, runShardJob } from './shard-job.js';
import { checkBound, finishTrace } from './trace-finish.js';

export interface TraceShardOptions {
  vault: Vault | string;
  dump: string;
  /** Only this release; default every release in the ledger. */
  release?: string;
  /** The bytes to read, starting at a record boundary (planShards); default the whole dump. */
  range?: ByteRange;
  /**
   * The claims of every byte before `range` (claimShard per earlier range, then mergeClaims).
   * Default: this shard reads the bytes before it itself, record ids only.
   */
  earlier?: ShardClaims;
  /** Rows read so far, and the bytes of the range read so far. */
  onProgress?: (rows: number, bytes?: number) => void;
  /** As traceDump's; every shard and the merge must be given the same. */
  evidenceBudget?: number;
}

/**
 * A dump whose first megabyte is ASCII takes its encoding from its first other row (dump.ts), so
 * a range after the start reads right only after the bytes before it: claims made alone do not say.
 */
const unsettled = (): RollmarkError =>
  new RollmarkError('USAGE', "the dump's encoding is not settled by its first megabyte: trace its shards without `earlier` claims (each reads the bytes before it)");

function checkRange(plan: ShardPlan, range: ByteRange | undefined): ByteRange {
  const r = range ?? { start: 0, end: plan.size };
  if (!(Number.isInteger(r.start) && Number.isInteger(r.end) && r.start >= 0 && r.start <= r.end && r.end <= plan.size)) {
    throw new RollmarkError('USAGE', `shard range [${r.start}, ${r.end}) is not inside the dump (${plan.size} bytes)`);
  }
  if (plan.gzip && (r.start !== 0 || r.end !== plan.size)) throw new RollmarkError('USAGE', 'a gzip dump cannot be split into shards: trace it whole');
  return r;
}

/**
 * Traces one byte range of a dump into a ShardState. Exact (the same evidence as a whole-dump
 * trace, once merged) when the rows before the range are claimed: by default this reads them
 * (record ids only, a fraction of a full trace's cost); with many shards, pass `earlier`.
 */
export async function traceShard(opts: TraceShardOptions): Promise<ShardState> {
  const { plan } = await prepareTrace(opts);
  const range = checkRange(plan, opts.range);
  const claim = opts.earlier === undefined && range.start > 0 ? { start: 0, end: range.start } : null;
  if (opts.earlier !== undefined && plan.dialect.decoding === 'sniffing') throw unsettled();
  if (opts.earlier !== undefined && (opts.earlier.dump.start !== 0 || opts.earlier.dump.end !== range.start)) {
    throw new RollmarkError('USAGE', `the claims cover bytes [${opts.earlier.dump.start}, ${opts.earlier.dump.end}), not the [0, ${range.start}) before the shard`);
  }
  const { state } = await runShardJob(plan, { range, claim, hash: false }, opts.onProgress, opts.earlier);
  return state;
}

/** The records and canaries a byte range holds (for `traceShard`'s `earlier`). */
export async function claimShard(opts: { vault: Vault | string; dump: string; release?: string; range?: ByteRange; evidenceBudget?: number }): Promise<ShardClaims> {
  const { plan } = await prepareTrace(opts);
  const range = checkRange(plan, opts.range);
  if (range.start > 0 && plan.dialect.decoding === 'sniffing') throw unsettled();
  const cores = makeCores(plan);
  const feeder = new RowFeeder(plan.dialect, cores, 'claim', { rows: 0, rowsRejected: 0, rejectedExamples: [] }, range.start === 0);
  if (plan.gzip) throw new RollmarkError('USAGE', 'a gzip dump cannot be split into shards: trace it whole');
  await scanRange(plan, feeder, range.start, range.end, null);
  return {
    format: 'rollmark-trace-claims',
    version: 1,
    plan: plan.digest,
    dump: { file: path.basename(plan.file), size: plan.size, start: range.start, end: range.end },
    releases: cores.map((c) => ({ release: c.release, seen: Buffer.from(c.seen).toString('base64'), canaries: [...c.canariesClaimed] })),
  };
}

/** Unites the claims of adjacent ranges (in any order) into the claims of the range they tile. */
export function mergeClaims(claims: ShardClaims[]): ShardClaims {
  if (claims.length === 0) throw new RollmarkError('USAGE', 'no claims to merge');
  const sorted = [...claims].sort((a, b) => a.dump.start - b.dump.start);
  const first = sorted[0];
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].plan !== first.plan) throw new RollmarkError('USAGE', 'claims of different traces cannot be merged');
    if (sorted[i].dump.start !== sorted[i - 1].dump.end) {
      throw new RollmarkError('USAGE', `claims leave a gap or overlap at byte ${sorted[i - 1].dump.end}`);
    }
  }
  return {
    ...first,
    dump: { ...first.dump, end: sorted[sorted.length - 1].dump.end },
    releases: first.releases.map((r) => {
      const seen = Buffer.from(r.seen, 'base64');
      const canaries = new Set(r.canaries);
      for (const other of sorted.slice(1)) {
        const o = other.releases.find((x) => x.release === r.release);
        if (o === undefined) throw new RollmarkError('USAGE', `claims disagree on the releases traced`);
        const b = Buffer.from(o.seen, 'base64');
        for (let i = 0; i < seen.length; i++) seen[i] |= b[i];
        for (const k of o.canaries) canaries.add(k);
      }
      return { release: r.release, seen: seen.toString('base64'), canaries: [...canaries] };
    }),
  };
}

export interface MergeShardsOptions {
  vault: Vault | string;
  dump: string;
  states: ShardState[];
  release?: string;
  bound?: number;
  now?: () => Date;
  /** As the shards were given. */
  evidenceBudget?: number;
}

/** Merges the states of shards that tile the dump into the signed report (as traceDump's). */
export async function mergeShards(opts: MergeShardsOptions): Promise<TraceReport> {
  const bound = checkBound(opts.bound);
  const prepared = await prepareTrace(opts);
  return finishTrace(prepared, opts.states, { bound, now: opts.now, sha256: await prepared.dump.sha256() });
}
