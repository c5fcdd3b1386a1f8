/**
 * The state of one shard: plain JSON, so one job can write it out and another merge it. A
 * ShardState holds a byte range's evidence, merged by addition (trace-finish.ts); ShardClaims the
 * records a range holds, for exact de-duplication across shards (trace-shard.ts).
 */
import type { EvidenceTallyJSON } from './evidence.js';

export interface ShardRelease {
  release: string;
  rowsMatched: number;
  rowsDuplicate: number;
  /** Records (canaries included) whose marks were read: all, or the plan's scored share. */
  recordsScored: number;
  matchedBy: { key: number; match: number[] };
  /** Canaries counted in this shard (`hashHi:hashLo`), in the order first seen. */
  canariesFound: string[];
  /** Rows matched per group (section). */
  groups: [string, number][];
  /** The evidence (EvidenceTally.toJSON). */
  tally: EvidenceTallyJSON;
}

/** A shard's evidence: JSON-serializable, merged by addition (`mergeShards`). */
export interface ShardState {
  format: 'rollmark-trace-shard';
  version: 1;
  /** The plan digest: every shard of one trace must carry the same. */
  plan: string;
  dump: {
    file: string;
    size: number;
    /** The bytes read: [start, end). */
    start: number;
    end: number;
    /** Rows of records seen in bytes [0, dedupedAgainst) counted as duplicates here. */
    dedupedAgainst: number;
  };
  rows: number;
  rowsRejected: number;
  /** The first rejected rows (a byte offset, and the line when known). */
  rejectedExamples: { offset: number; line?: number; reason: string }[];
  /** The decoding the dump's rows ended with (a Latin-1 row can settle a dump as Latin-1). */
  encoding: 'utf8' | 'latin1';
  releases: ShardRelease[];
}

/** Which records (and canaries) a range of the dump holds: for exact cross-shard de-duplication. */
export interface ShardClaims {
  format: 'rollmark-trace-claims';
  version: 1;
  plan: string;
  dump: { file: string; size: number; start: number; end: number };
  /** Per release: the de-duplication bitmap (base64) and the canaries found. */
  releases: { release: string; seen: string; canaries: string[] }[];
}
