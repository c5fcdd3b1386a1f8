/**
 * rollmark: watermarked voter-list distribution and leak attribution.
 *
 * Two rivers over shared ground:
 *   issue: registry -> watermark (positions, marks, canaries) -> copies + ledger
 *   trace: dump -> matching -> attribution (symbols, scores, bound) -> signed report
 * The CLI (`rollmark`) is a thin layer over these functions.
 */
export { RollmarkError, ERROR_CODES, type ErrorCode } from './errors.js';

// keys and vault
export { blake3KeyWords, blake3KeyedBlock } from './keys/blake3.js';
export { deriveReleaseKey, type KeyPurpose } from './keys/derive.js';
export { generateSigningKey, publicKeyOf, signBytes, verifyBytes, canonicalJson } from './keys/sign.js';
export { initVault, openVault, checkVaultPermissions, type Vault } from './vault/vault.js';
export { readLedger, verifyLedger, appendLedger, type LedgerEntry, type LedgerRecord } from './vault/ledger.js';
export {
  signDocument,
  verifyDocument,
  loadPublicKey,
  loadSignedDocument,
  documentKind,
  type SignedDocumentKind,
} from './vault/documents.js';

// CSV I/O: the byte scanner of the hot path and the general csv-parse path
export * from './csv/index.js';

// schema
export type { SchemaFile } from './schema/types.js';
export { parseSchema, resolveSchema, PRESETS, type ResolvedSchema } from './schema/schema.js';
export { MX_INE_SCHEMA } from './presets/mx-ine/schema.js';

// the code shared by both rivers
export { CodeBook, RecordIds } from './code/codebook.js';
export { FamilyMatcher } from './code/families.js';

// synthetic registries
export { writeSyntheticRegistry, synthesizeRegistry, type SynthOptions, type SynthProgress } from './synth/index.js';
export { MX_INE_COLUMNS } from './presets/mx-ine/columns.js';
export { curpFor, claveElectorFor, curpCheckDigit, ageOn, type CurpPerson, type ClavePerson } from './presets/mx-ine/identity.js';

// issue
export { issueRelease, type IssueOptions, type IssueResult, type IssuedCopy, type Receipt } from './watermark/issue.js';
export { readRecipients, type Recipient } from './watermark/recipients.js';

// trace
export { traceDump, DEFAULT_BOUND, type TraceOptions } from './attribution/trace.js';
export { DEFAULT_EVIDENCE_BUDGET } from './attribution/trace-plan.js';
export { traceShard, claimShard, mergeClaims, mergeShards, type TraceShardOptions, type MergeShardsOptions } from './attribution/trace-shard.js';
export type { ShardState, ShardRelease, ShardClaims } from './attribution/shard-state.js';
export type { TraceReport, Suspect, ReleaseEvidence } from './attribution/report.js';
export { renderHtmlReport } from './attribution/html.js';
export { formatTraceSummary } from './cli/commands/trace.js';
export { openDump, type DumpSource, type DumpFormat } from './attribution/dump.js';
export { mapColumns, type ColumnMapping } from './attribution/columns.js';
export { EvidenceTally } from './attribution/evidence.js';
export { attributionBound, attributionBounds, singleLeakerPower } from './attribution/chernoff.js';
export { DEFAULT_STATISTICS, parseStatistic, type Statistic } from './attribution/scores.js';

// the leak lab
export { simulateLeak, parseAttacks, applyAttacks, type AttackSpec } from './lab/simulate.js';
export { readTable, writeTable } from './lab/table-files.js';
export { collude } from './lab/collude.js';
export type { Table } from './lab/table.js';
export { biasFromUniform, DEFAULT_CUTOFF } from './code/bias.js';
