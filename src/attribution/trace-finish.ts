/**
 * Finishing a trace: the states of shards that tile the dump are checked and merged by addition,
 * the canaries observed, and each release summarized (suspects, bounds, power) into the verdict
 * and the signed report.
 */
import { RollmarkError } from '../errors.js';
import { CodeBook } from '../code/codebook.js';
import { classTable } from '../code/marks.js';
import type { CanaryGroup } from '../code/release.js';
import { resolveSchema } from '../schema/schema.js';
import { signDocument } from '../vault/documents.js';
import { EvidenceTally } from './evidence.js';
import { attributionBound, singleLeakerPower } from './chernoff.js';
import { CANARY_CLASS, canaryKey, type CanaryRef, type ReleaseSetup } from './trace-core.js';
import type { ReleaseEvidence, Suspect, TraceReport } from './report.js';
import { FULL_SHARE, type PreparedTrace, type ShardPlan } from './trace-plan.js';
import type { ShardState } from './shard-state.js';

export const DEFAULT_BOUND = 1e-9;
/** A section counts as covered, so its absent canaries count as absent, from this share of rows. */
export const COVERAGE = 0.9;
/** A field class is dropped as normalised away when it has this many observations, all alike. */
export const COLLAPSE_MIN_OBSERVATIONS = 8;

/** The false-accusation bound asked for, checked: in (0, 1); DEFAULT_BOUND when not given. */
export function checkBound(b: number | undefined): number {
  const bound = b ?? DEFAULT_BOUND;
  if (!(bound > 0 && bound < 1)) throw new RollmarkError('USAGE', `--bound must be in (0, 1), got ${bound}`);
  return bound;
}

interface MergedRelease {
  setup: ReleaseSetup;
  tally: EvidenceTally;
  rowsMatched: number;
  rowsDuplicate: number;
  recordsScored: number;
  matchedBy: { key: number; match: number[] };
  canariesFound: Map<string, CanaryRef>;
  groups: Map<string, number>;
}

/** Checks that the states tile the dump, each de-duplicated against all bytes before it. */
function orderStates(plan: ShardPlan, states: ShardState[]): ShardState[] {
  if (states.length === 0) throw new RollmarkError('USAGE', 'no shard states to merge');
  for (const s of states) {
    if (s.format !== 'rollmark-trace-shard' || s.version !== 1) throw new RollmarkError('USAGE', 'not a rollmark trace shard state');
    if (s.plan !== plan.digest) {
      throw new RollmarkError('USAGE', 'a shard state comes from a different dump, vault, release set or column mapping');
    }
  }
  const sorted = [...states].sort((a, b) => a.dump.start - b.dump.start);
  let at = 0;
  for (const s of sorted) {
    if (s.dump.start !== at) throw new RollmarkError('USAGE', `the shard states leave a gap or overlap at byte ${at}`);
    if (s.dump.dedupedAgainst !== s.dump.start) {
      throw new RollmarkError(
        'USAGE',
        `the shard at byte ${s.dump.start} was not de-duplicated against every row before it (only [0, ${s.dump.dedupedAgainst})): its evidence could count a record twice`,
      );
    }
    at = s.dump.end;
  }
  if (at !== plan.size) throw new RollmarkError('USAGE', `the shard states end at byte ${at}, the dump at ${plan.size}`);
  return sorted;
}

function mergeStates(plan: ShardPlan, states: ShardState[]): MergedRelease[] {
  return plan.releases.map((setup) => {
    const schema = resolveSchema(setup.manifest.schema, setup.manifest.header);
    const classes = classTable(schema.marks);
    const tally = new EvidenceTally(setup.manifest.recipients.length);
    for (const name of classes.names) tally.classIndex(name);
    tally.classIndex(CANARY_CLASS);
    const byKey = new Map<string, CanaryRef>();
    for (const g of setup.canaries.groups) g.canaries.forEach((_, index) => byKey.set(canaryKey({ group: g, index }), { group: g, index }));
    const merged: MergedRelease = {
      setup,
      tally,
      rowsMatched: 0,
      rowsDuplicate: 0,
      recordsScored: 0,
      matchedBy: { key: 0, match: schema.match.map(() => 0) },
      canariesFound: new Map(),
      groups: new Map(),
    };
    for (const s of states) {
      const r = s.releases.find((x) => x.release === setup.manifest.release);
      if (r === undefined) throw new RollmarkError('USAGE', `a shard state holds no release '${setup.manifest.release}'`);
      tally.merge(EvidenceTally.fromJSON(r.tally));
      merged.rowsMatched += r.rowsMatched;
      merged.rowsDuplicate += r.rowsDuplicate;
      merged.recordsScored += r.recordsScored;
      merged.matchedBy.key += r.matchedBy.key;
      r.matchedBy.match.forEach((n, i) => (merged.matchedBy.match[i] += n));
      for (const k of r.canariesFound) {
        const ref = byKey.get(k);
        if (ref === undefined) throw new RollmarkError('USAGE', `a shard state names a canary the release does not hold`);
        if (!merged.canariesFound.has(k)) merged.canariesFound.set(k, ref);
      }
      for (const [g, n] of r.groups) merged.groups.set(g, (merged.groups.get(g) ?? 0) + n);
    }
    return merged;
  });
}

/** Merges shard states and writes the signed report. */
export function finishTrace(
  prepared: PreparedTrace,
  states: ShardState[],
  opts: { bound: number; now?: () => Date; sha256: string },
): TraceReport {
  const { plan, dump } = prepared;
  const ordered = orderStates(plan, states);
  const merged = mergeStates(plan, ordered);
  let rows = 0;
  let rowsRejected = 0;
  for (const s of ordered) {
    rows += s.rows;
    rowsRejected += s.rowsRejected;
  }
  if (ordered.some((s) => s.encoding === 'latin1')) dump.format.encoding = 'latin1';
  for (const m of merged) observeCanaries(m);
  const recipientsTested = merged.reduce((a, m) => a + m.setup.manifest.recipients.length, 0);
  const perRelease = merged.map((m) => summarize(m, recipientsTested, opts.bound, plan));
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
  // The dump's rows are counted against the release that matched most of them: matched, repeats
  // of a record already counted (or of its 32-bit code identity), and the rest foreign.
  const best = merged.reduce<MergedRelease | null>((b, m) => (b === null || m.rowsMatched > b.rowsMatched ? m : b), null);
  const rowsMatched = best?.rowsMatched ?? 0;
  const rowsDuplicate = best?.rowsDuplicate ?? 0;
  const report: Omit<TraceReport, 'signature'> = {
    version: 1,
    tool: 'rollmark',
    generatedAt: (opts.now ?? (() => new Date()))().toISOString(),
    dump: {
      file: plan.file.split(/[\\/]/).pop() ?? plan.file,
      sha256: opts.sha256,
      rows: rows + rowsRejected,
      rowsMatched,
      rowsRejected,
      rowsDuplicate,
      rowsForeign: Math.max(0, rows - rowsMatched - rowsDuplicate),
      format: dump.format,
    },
    release,
    verdict,
    falseAccusationBound: opts.bound,
    recipientsTested,
    suspects,
    releases: perRelease,
  };
  return signDocument(report, prepared.vault.signingKey) as TraceReport;
}

/** Canaries: present ones read 1; absent ones read 0 where the dump covers their section. */
function observeCanaries(m: MergedRelease): void {
  const cls = m.tally.classIndex(CANARY_CLASS);
  const R = m.setup.manifest.recipients.length;
  const inclusion = new CodeBook(m.setup.keys.canary, R, m.setup.manifest.code.cutoff);
  const xs = new Uint8Array(R);
  for (const g of m.setup.canaries.groups) {
    const covered = (m.groups.get(g.value) ?? 0) >= COVERAGE * g.rows;
    for (let index = 0; index < g.canaries.length; index++) {
      const c = g.canaries[index];
      const present = m.canariesFound.has(`${c.hashHi}:${c.hashLo}`);
      if (!present && !covered) continue;
      const P = inclusion.load(c.recordId, 0);
      inclusion.symbols(P, xs);
      m.tally.observe(present ? 1 : 0, P, xs, cls);
    }
  }
}

function summarize(m: MergedRelease, recipientsTested: number, bound: number, plan: ShardPlan): ReleaseEvidence & { suspects: Suspect[] } {
  const summaries = m.tally.classes();
  const drop = summaries
    .filter((c) => c.name !== CANARY_CLASS && c.collapsed && c.observations >= COLLAPSE_MIN_OBSERVATIONS)
    .map((c) => c.name);
  const evidence = m.tally.finalize({ drop });
  const manifest = m.setup.manifest;
  const inclusion = new CodeBook(m.setup.keys.canary, manifest.recipients.length, manifest.code.cutoff);
  const canaryStats = summaries.find((c) => c.name === CANARY_CLASS);
  const foundList: { group: CanaryGroup; index: number }[] = [...m.canariesFound.values()];
  const suspects: Suspect[] = manifest.recipients.map((r, j) => {
    const b = attributionBound(evidence, j, recipientsTested);
    let canaries = 0;
    for (const f of foundList) {
      const c = f.group.canaries[f.index];
      const P = inclusion.load(c.recordId, 0);
      canaries += inclusion.symbol(j, P);
    }
    return {
      recipient: r.id,
      name: r.name,
      release: manifest.release,
      implicated: b.pValue <= bound,
      pValue: b.pValue,
      log10PValue: b.log10PValue,
      // The symmetric Tardos score (the first statistic): the contract's `score`, comparable
      // across recipients; the statistic that gave the bound and its value follow.
      score: b.statistics.find((x) => x.statistic === 'tardos')?.value ?? b.score,
      statistic: b.bestStatistic,
      statisticValue: b.score,
      canaries,
      marksObserved: evidence.observations - (canaryStats ? Math.min(canaryStats.observations, evidence.observations) : 0),
    };
  });
  suspects.sort((a, b) => a.log10PValue - b.log10PValue);
  const power = singleLeakerPower(evidence, { recipientsTested, bound });
  return {
    release: manifest.release,
    rowsMatched: m.rowsMatched,
    rowsDuplicate: m.rowsDuplicate,
    scoring: { share: plan.scoreShare / FULL_SHARE, recordsScored: m.recordsScored, budget: plan.evidenceBudget === Infinity ? null : plan.evidenceBudget },
    matchedBy: m.matchedBy,
    columns: m.setup.mapping.columns,
    canariesFound: foundList.map((f) => f.group.value),
    canariesObserved: canaryStats?.observations ?? 0,
    classes: summaries
      .filter((c) => c.observations > 0 && c.name !== '')
      .map((c) => ({ name: c.name, observations: c.observations, ones: c.ones, dropped: drop.includes(c.name) })),
    singleLeaker: { detectable: power.wouldImplicate, log10PValue: power.log10PValue, statistic: power.statistic },
    suspects,
  };
}
