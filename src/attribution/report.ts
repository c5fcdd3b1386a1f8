import type { DumpFormat } from './dump.js';

/** One recipient's standing in a trace report. */
export interface Suspect {
  recipient: string;
  name: string;
  release: string;
  implicated: boolean;
  /** Upper bound on P(an innocent shows evidence this strong), corrected; floored at 1e-300. */
  pValue: number;
  /** The exact log10 of the bound, below the double's range too. */
  log10PValue: number;
  /** The recipient's symmetric Tardos score over every live position. */
  score: number;
  /** The statistic whose bound was smallest, and the recipient's value of it. */
  statistic: string;
  statisticValue?: number;
  /** Canaries found in the dump that this recipient's copy carried. */
  canaries: number;
  /** Field-mark positions read from the dump (the same for every recipient of a release). */
  marksObserved: number;
}

/** What one release's evidence looked like. */
export interface ReleaseEvidence {
  release: string;
  rowsMatched: number;
  rowsDuplicate: number;
  /**
   * Whose marks were read: every matched record (`share` 1), or past the evidence budget a keyed
   * share of them (canaries always). Reports signed before it existed lack it: they scored all.
   */
  scoring?: { share: number; recordsScored: number; budget: number | null };
  matchedBy: { key: number; match: number[] };
  columns: unknown[];
  /** Group (section) of every canary found. */
  canariesFound: string[];
  canariesObserved: number;
  classes: { name: string; observations: number; ones: number; dropped: boolean }[];
  /**
   * Would a single leaker who passed these positions on (5% of symbols changed) have been
   * implicated? Decides `no-recipient` against `inconclusive`.
   */
  singleLeaker: { detectable: boolean; log10PValue: number; statistic: string };
}

/** The signed trace report (the contract's fields and more). */
export interface TraceReport {
  version: 1;
  tool: 'rollmark';
  generatedAt: string;
  dump: {
    file: string;
    sha256: string;
    rows: number;
    rowsMatched: number;
    rowsRejected: number;
    /** Rows repeating a record already counted (or sharing its 32-bit code identity): read once. */
    rowsDuplicate: number;
    /** Rows that matched no record of the release that matched most rows. */
    rowsForeign: number;
    format: DumpFormat;
  };
  release: string | null;
  verdict: 'attributed' | 'collusion' | 'no-recipient' | 'inconclusive';
  falseAccusationBound: number;
  recipientsTested: number;
  suspects: Suspect[];
  releases: (ReleaseEvidence & { suspects: Suspect[] })[];
  signature: string;
}
