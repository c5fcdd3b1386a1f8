/**
 * The shapes issue takes and gives: its options, the result, and a copy's signed receipt. Their
 * own room, so that issue.ts and recovery.ts (which finishes an interrupted issue) share them
 * without importing each other.
 */
import type { SchemaFile } from '../schema/types.js';
import type { Vault } from '../vault/vault.js';
import type { Recipient } from './recipients.js';

export interface IssueOptions {
  /** An opened vault, or its folder. */
  vault: Vault | string;
  registry: string;
  /** The recipients, or the path of a recipients CSV (`id,name`). */
  recipients: Recipient[] | string;
  release: string;
  outDir: string;
  /** Required for any registry that is not the mx-ine layout. */
  schema?: SchemaFile;
  schemaFile?: string;
  /** Tardos bias cutoff; recorded in the manifest. */
  cutoff?: number;
  /** The clock for the ledger and receipts (tests pin it). */
  now?: () => Date;
  /**
   * At the start of each pass over the registry (check, then write; rows 0) and every 65,536
   * rows: the rows so far and, where the pass knows it (write), the registry's bytes read so far,
   * to set against its size.
   */
  onProgress?: (phase: 'check' | 'write', rows: number, bytes?: number) => void;
  /**
   * Threads that mark rows: 1 marks in the calling thread; n > 1 starts n worker threads while
   * the calling thread reads the registry, composes canaries and writes the copies. Default: one
   * per core for large registries, 1 for small ones. The copies are the same bytes either way.
   */
  workers?: number;
  /**
   * Finish a release an interrupted run (killed, or failed after its ledger append) left
   * half-done. When the ledger records the release, nothing is marked again: every copy it names
   * must be in `outDir`, under its final name or as the complete dot-named temporary copy the run
   * left, with the size and sha256 the ledger records; those are renamed into place and the
   * missing receipts written (a copy that does not check out fails the resume, naming it). When the
   * ledger does not record it, the release is issued from the start. Default false: a release the
   * ledger records fails RELEASE_REUSED.
   */
  resume?: boolean;
}

export interface IssuedCopy {
  recipient: string;
  name: string;
  file: string;
  receipt: string;
  sha256: string;
  rows: number;
  bytes: number;
  canaries: number;
}

export interface IssueResult {
  release: string;
  registryRows: number;
  canaries: number;
  copies: IssuedCopy[];
  /** True when `resume` finished a release the ledger had recorded already. */
  resumed?: boolean;
}

/** Receipt given to a recipient with its copy: what it received, signed by the issuer. */
export interface Receipt {
  version: 1;
  type: 'receipt';
  release: string;
  recipient: string;
  name: string;
  file: string;
  sha256: string;
  rows: number;
  bytes: number;
  time: string;
  issuer: string;
}
