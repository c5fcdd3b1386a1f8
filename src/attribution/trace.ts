import { RollmarkError } from '../errors.js';
import { CodeBook, RecordIds, canonicalKey } from '../code/codebook.js';
import { AMBIGUOUS, Fingerprinter, matchValue, type MatchTable } from '../code/match-index.js';
import { cellMarks, classTable, type ClassTable } from '../code/marks.js';
import { loadRelease, releaseKeys, type CanaryGroup, type LoadedRelease } from '../code/release.js';
import { resolveSchema, type ResolvedSchema } from '../schema/schema.js';
import { profilesFromJSON } from '../schema/profile.js';
import { readLedger, type LedgerEntry } from '../vault/ledger.js';
import { openVault, type Vault } from '../vault/vault.js';
import { signDocument } from '../vault/documents.js';
import { EvidenceTally } from './evidence.js';
import { attributionBound, singleLeakerPower } from './chernoff.js';
import { openDump, type DumpSource } from './dump.js';
import { mapColumns, applyTransform, type ColumnMapping } from './columns.js';
import type { TraceReport, Suspect, ReleaseEvidence } from './report.js';

/**
 * Trace: read a found dump, match its rows to each release's records, read the symbols its
 * cells show at every code position and the canaries it holds, and rank the recipients with a
 * false-accusation bound that holds whatever the leaker did.
 *
 * Why attacks cannot frame an innocent recipient: every observation (which positions are read,
 * what symbol each shows, which canaries are present or absent, which classes are dropped as
 * collapsed) is a function of the dump alone; an innocent recipient's symbols are independent
 * keyed draws that never reached the dump, so its score is a sum of independent terms with a
 * known two-point law, and the bound (chernoff.ts) is computed on exactly those terms. Each
 * position is counted once: rows repeating a record are skipped.
 */
export interface TraceOptions {
  vault: Vault | string;
  dump: string;
  /** Only this release; default every release in the ledger. */
  release?: string;
  /** Implicate when pValue <= bound (default 1e-9). */
  bound?: number;
  now?: () => Date;
  onProgress?: (rows: number) => void;
}

export const DEFAULT_BOUND = 1e-9;
/** A section counts as covered, so its absent canaries count as absent, from this share of rows. */
export const COVERAGE = 0.9;
/** A field class is dropped as normalised away when it has this many observations, all alike. */
export const COLLAPSE_MIN_OBSERVATIONS = 8;
const CANARY_CLASS = 'canary';

interface ReleaseContext {
  entry: LedgerEntry;
  release: LoadedRelease;
  schema: ResolvedSchema;
  classes: ClassTable;
  mapping: ColumnMapping;
  /** registry column -> dump column, -1 when the dump lacks it */
  dumpColumn: Int32Array;
  transforms: (string | undefined)[];
  ids: RecordIds;
  fingerprints: Fingerprinter;
  code: CodeBook;
  inclusion: CodeBook;
  tables: MatchTable[] | null;
  canaryByHash: Map<string, { group: CanaryGroup; index: number }>;
  canaryByFingerprint: Map<string, { group: CanaryGroup; index: number }>[];
  canariesFound: Map<string, { group: CanaryGroup; index: number }>;
  seen: Uint8Array;
  seenMask: number;
  groupSeen: Map<string, number>;
  tally: EvidenceTally;
  tallyClass: Int32Array;
  xs: Uint8Array;
  rowsMatched: number;
  rowsDuplicate: number;
  matchedBy: { key: number; match: number[] };
  values: string[];
}

export async function traceDump(opts: TraceOptions): Promise<TraceReport> {
  const vault = typeof opts.vault === 'string' ? await openVault(opts.vault) : opts.vault;
  const bound = opts.bound ?? DEFAULT_BOUND;
  if (!(bound > 0 && bound < 1)) throw new RollmarkError('USAGE', `--bound must be in (0, 1), got ${bound}`);
  const ledger = await readLedger(vault.ledgerPath, vault.publicKey);
  const releases = ledger.filter((e) => e.type === 'release' && (opts.release === undefined || e.data.release === opts.release));
  if (releases.length === 0) {
    throw new RollmarkError(
      'RELEASE_UNKNOWN',
      opts.release === undefined ? 'the ledger holds no release to trace against' : `release '${opts.release}' is not in the ledger`,
      { file: vault.ledgerPath },
    );
  }
  const dump = await openDump(opts.dump);
  const contexts: ReleaseContext[] = [];
  for (const entry of releases) contexts.push(await releaseContext(vault, entry, dump));

  let rows = 0;
  for await (const { fields } of dump.rows()) {
    rows++;
    for (const ctx of contexts) observeRow(ctx, fields);
    if (opts.onProgress && (rows & 0xffff) === 0) opts.onProgress(rows);
  }
  for (const ctx of contexts) observeCanaries(ctx);

  const recipientsTested = contexts.reduce((a, c) => a + c.release.manifest.recipients.length, 0);
  const perRelease = contexts.map((ctx) => summarize(ctx, recipientsTested, bound));
  const suspects = perRelease.flatMap((r) => r.suspects).sort((a, b) => a.log10PValue - b.log10PValue || a.recipient.localeCompare(b.recipient));
  const implicated = suspects.filter((s) => s.implicated);
  let verdict: TraceReport['verdict'];
  let release: string | null = null;
  if (implicated.length === 1) {
    verdict = 'attributed';
    release = implicated[0].release;
  } else if (implicated.length > 1) {
    verdict = 'collusion';
    release = implicated[0].release;
  } else {
    const powered = perRelease.filter((r) => r.singleLeaker.detectable && r.rowsMatched > 0);
    if (powered.length > 0) {
      verdict = 'no-recipient';
      release = powered.sort((a, b) => b.rowsMatched - a.rowsMatched)[0].release;
    } else {
      verdict = 'inconclusive';
      release = null;
    }
  }
  const rowsMatched = Math.max(0, ...contexts.map((c) => c.rowsMatched));
  const report: Omit<TraceReport, 'signature'> = {
    version: 1,
    tool: 'rollmark',
    generatedAt: (opts.now ?? (() => new Date()))().toISOString(),
    dump: {
      file: opts.dump.split(/[\\/]/).pop() ?? opts.dump,
      sha256: await dump.sha256(),
      rows: rows + dump.stats.rowsRejected,
      rowsMatched,
      rowsRejected: dump.stats.rowsRejected,
      rowsForeign: rows - rowsMatched,
      format: dump.format,
    },
    release,
    verdict,
    falseAccusationBound: bound,
    recipientsTested,
    suspects,
    releases: perRelease,
  };
  return signDocument(report, vault.signingKey) as TraceReport;
}

async function releaseContext(vault: Vault, entry: LedgerEntry, dump: DumpSource): Promise<ReleaseContext> {
  const id = String(entry.data.release);
  const release = await loadRelease(vault.releaseDir(id));
  if (release.manifestSha256 !== entry.data.manifest) {
    throw new RollmarkError('VAULT_CORRUPT', `release '${id}' data does not match its signed ledger entry`, {
      file: vault.releaseDir(id),
    });
  }
  const m = release.manifest;
  const schema = resolveSchema(m.schema, m.header);
  const keys = releaseKeys(vault.master, id);
  const R = m.recipients.length;
  const mapping = mapColumns(dump.sample, dump.format.header, profilesFromJSON(JSON.stringify(m.profiles)), m.header);
  const dumpColumn = new Int32Array(m.header.length).fill(-1);
  const transforms: (string | undefined)[] = new Array(m.header.length);
  for (const c of mapping.columns) {
    if (c.registry === null) continue;
    const idx = m.header.indexOf(c.registry);
    if (idx >= 0) {
      dumpColumn[idx] = c.dump;
      transforms[idx] = c.transform;
    }
  }
  const canaryByHash = new Map<string, { group: CanaryGroup; index: number }>();
  const canaryByFingerprint = schema.match.map(() => new Map<string, { group: CanaryGroup; index: number }>());
  for (const g of release.canaries.groups) {
    g.canaries.forEach((c, index) => {
      canaryByHash.set(`${c.hashHi}:${c.hashLo}`, { group: g, index });
      c.fingerprints.forEach((f, s) => {
        if (f !== null) canaryByFingerprint[s].set(`${f[0]}:${f[1]}`, { group: g, index });
      });
    });
  }
  const keyMissing = dumpColumn[schema.key] < 0;
  const classes = classTable(schema.marks);
  const tally = new EvidenceTally(R);
  const tallyClass = new Int32Array(classes.count);
  for (let c = 0; c < classes.count; c++) tallyClass[c] = tally.classIndex(classes.names[c]);
  tally.classIndex(CANARY_CLASS);
  // De-duplication bitmap over record ids: 16+ bits a registry row, capped at 2^32 bits.
  let bits = 1 << 16;
  while (bits < m.registry.rows * 16 && bits < 2 ** 32) bits *= 2;
  return {
    entry,
    release,
    schema,
    classes,
    mapping,
    dumpColumn,
    transforms,
    ids: new RecordIds(keys.record),
    fingerprints: new Fingerprinter(keys.index),
    code: new CodeBook(keys.code, R, m.code.cutoff),
    inclusion: new CodeBook(keys.canary, R, m.code.cutoff),
    tables: keyMissing ? await release.loadIndex() : null,
    canaryByHash,
    canaryByFingerprint,
    canariesFound: new Map(),
    seen: new Uint8Array(bits / 8),
    seenMask: bits - 1,
    groupSeen: new Map(),
    tally,
    tallyClass,
    xs: new Uint8Array(R),
    rowsMatched: 0,
    rowsDuplicate: 0,
    matchedBy: { key: 0, match: schema.match.map(() => 0) },
    values: [],
  };
}

function cellOf(ctx: ReleaseContext, fields: string[], column: number): string | null {
  const d = ctx.dumpColumn[column];
  if (d < 0 || d >= fields.length) return null;
  const t = ctx.transforms[column];
  return t === undefined ? fields[d] : applyTransform(t, fields[d]);
}

/** Reads one dump row into the release's evidence. */
function observeRow(ctx: ReleaseContext, fields: string[]): void {
  const { schema } = ctx;
  let recordId = -1;
  let canary: { group: CanaryGroup; index: number } | undefined;
  const keyCell = cellOf(ctx, fields, schema.key);
  if (keyCell !== null && keyCell.trim() !== '') {
    recordId = ctx.ids.compute(canonicalKey(keyCell));
    canary = ctx.canaryByHash.get(`${ctx.ids.hashHi}:${ctx.ids.hashLo}`);
    if (canary === undefined && ctx.tables === null) {
      // With the key column present every well-formed key is taken as a record; a key that is
      // not in the registry reads symbols nobody was given, which is noise, never evidence.
      ctx.matchedBy.key++;
    }
  } else if (ctx.tables !== null) {
    for (let s = 0; s < schema.match.length && recordId < 0 && canary === undefined; s++) {
      const set = schema.match[s];
      const vals = ctx.values;
      vals.length = set.length;
      let ok = true;
      for (let i = 0; i < set.length; i++) {
        const cell = cellOf(ctx, fields, set[i]);
        if (cell === null) {
          ok = false;
          break;
        }
        const marked = schema.marks.find((mm) => mm.column === set[i]);
        vals[i] = matchValue(cell, marked ? marked.robust : null);
      }
      if (!ok || !ctx.fingerprints.compute(s, vals)) continue;
      canary = ctx.canaryByFingerprint[s].get(`${ctx.fingerprints.lo}:${ctx.fingerprints.hi}`);
      if (canary !== undefined) break;
      const hit = ctx.tables[s].lookup(ctx.fingerprints.lo, ctx.fingerprints.hi);
      if (hit >= 0 && hit !== AMBIGUOUS) {
        recordId = hit;
        ctx.matchedBy.match[s]++;
      }
    }
  }
  if (canary !== undefined) {
    const c = canary.group.canaries[canary.index];
    recordId = c.recordId;
    const k = `${c.hashHi}:${c.hashLo}`;
    if (ctx.canariesFound.has(k)) {
      ctx.rowsDuplicate++;
      return;
    }
    ctx.canariesFound.set(k, canary);
    ctx.rowsMatched++;
  } else {
    if (recordId < 0) return;
    const bit = (recordId & ctx.seenMask) >>> 0;
    const byte = bit >>> 3;
    const mask = 1 << (bit & 7);
    if ((ctx.seen[byte] & mask) !== 0) {
      ctx.rowsDuplicate++;
      return;
    }
    ctx.seen[byte] |= mask;
    ctx.rowsMatched++;
    if (schema.group.every((g) => ctx.dumpColumn[g] >= 0)) {
      const gv = schema.group.map((g) => cellOf(ctx, fields, g) ?? '').join('|');
      ctx.groupSeen.set(gv, (ctx.groupSeen.get(gv) ?? 0) + 1);
    }
  }
  for (const mc of schema.marks) {
    const cell = cellOf(ctx, fields, mc.column);
    if (cell === null || cell === '') continue;
    const found = cellMarks(mc, ctx.classes, cell);
    for (const p of found.positions) {
      if (p.symbol < 0) continue;
      const P = ctx.code.load(recordId, p.slot);
      ctx.code.symbols(P, ctx.xs);
      ctx.tally.observe(p.symbol as 0 | 1, P, ctx.xs, ctx.tallyClass[p.cls]);
    }
  }
}

/** Canaries: present ones read 1; absent ones read 0 where the dump covers their section. */
function observeCanaries(ctx: ReleaseContext): void {
  const cls = ctx.tally.classIndex(CANARY_CLASS);
  const found = new Set(ctx.canariesFound.keys());
  for (const g of ctx.release.canaries.groups) {
    const covered = (ctx.groupSeen.get(g.value) ?? 0) >= COVERAGE * g.rows;
    for (const c of g.canaries) {
      const present = found.has(`${c.hashHi}:${c.hashLo}`);
      if (!present && !covered) continue;
      const P = ctx.inclusion.load(c.recordId, 0);
      ctx.inclusion.symbols(P, ctx.xs);
      ctx.tally.observe(present ? 1 : 0, P, ctx.xs, cls);
    }
  }
}

function summarize(ctx: ReleaseContext, recipientsTested: number, bound: number): ReleaseEvidence & { suspects: Suspect[] } {
  const summaries = ctx.tally.classes();
  const drop = summaries
    .filter((c) => c.name !== CANARY_CLASS && c.collapsed && c.observations >= COLLAPSE_MIN_OBSERVATIONS)
    .map((c) => c.name);
  const evidence = ctx.tally.finalize({ drop });
  const m = ctx.release.manifest;
  const canaryStats = summaries.find((c) => c.name === CANARY_CLASS);
  const foundList = [...ctx.canariesFound.values()];
  const suspects: Suspect[] = m.recipients.map((r, j) => {
    const b = attributionBound(evidence, j, recipientsTested);
    let canaries = 0;
    for (const f of foundList) {
      const c = f.group.canaries[f.index];
      const P = ctx.inclusion.load(c.recordId, 0);
      canaries += ctx.inclusion.symbol(j, P);
    }
    return {
      recipient: r.id,
      name: r.name,
      release: m.release,
      implicated: b.pValue <= bound,
      pValue: b.pValue,
      log10PValue: b.log10PValue,
      score: b.score,
      statistic: b.bestStatistic,
      canaries,
      marksObserved: evidence.observations - (canaryStats ? Math.min(canaryStats.observations, evidence.observations) : 0),
    };
  });
  suspects.sort((a, b) => a.log10PValue - b.log10PValue);
  const power = singleLeakerPower(evidence, { recipientsTested, bound });
  return {
    release: m.release,
    rowsMatched: ctx.rowsMatched,
    rowsDuplicate: ctx.rowsDuplicate,
    matchedBy: ctx.matchedBy,
    columns: ctx.mapping.columns,
    canariesFound: foundList.map((f) => f.group.value),
    canariesObserved: canaryStats?.observations ?? 0,
    classes: summaries
      .filter((c) => c.observations > 0 && c.name !== '')
      .map((c) => ({ name: c.name, observations: c.observations, ones: c.ones, dropped: drop.includes(c.name) })),
    singleLeaker: { detectable: power.wouldImplicate, log10PValue: power.log10PValue, statistic: power.statistic },
    suspects,
  };
}
