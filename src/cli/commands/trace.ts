import * as fs from 'node:fs/promises';
import { ioError } from '../../errors.js';
import { traceDump } from '../../attribution/trace.js';
import type { TraceReport } from '../../attribution/report.js';
import type { ReportLang } from '../../attribution/html.js';
import { parseFlags, positiveInt, required, type CliIo } from '../args.js';
import { progressMeter } from '../progress.js';
import { RollmarkError } from '../../errors.js';

const USAGE =
  'rollmark trace --vault DIR --dump FILE [--release ID] [--registry FILE] [--report FILE] [--html FILE] [--json] [--bound P] [--workers N] [--evidence-budget N|all] [--lang es|en] [--quiet]';

export async function run(argv: string[], io: CliIo): Promise<number> {
  const flags = parseFlags(
    argv,
    {
      vault: { type: 'string' },
      dump: { type: 'string' },
      release: { type: 'string' },
      registry: { type: 'string' },
      report: { type: 'string' },
      html: { type: 'string' },
      json: { type: 'boolean' },
      bound: { type: 'string' },
      lang: { type: 'string' },
      quiet: { type: 'boolean' },
      workers: { type: 'string' },
      'evidence-budget': { type: 'string' },
    },
    USAGE,
  );
  const vault = required(flags.vault, 'vault', USAGE);
  const dump = required(flags.dump, 'dump', USAGE);
  let bound: number | undefined;
  if (flags.bound !== undefined) {
    bound = Number(flags.bound);
    if (!(bound > 0 && bound < 1)) throw new RollmarkError('USAGE', `--bound must be a number in (0, 1), got '${flags.bound}'\nusage: ${USAGE}`);
  }
  // Checked before the trace, so a typo costs nothing; left out, the locale decides (defaultLang).
  let lang: ReportLang | undefined;
  if (flags.lang !== undefined) {
    if (flags.lang !== 'es' && flags.lang !== 'en') throw new RollmarkError('USAGE', `--lang must be es or en, got '${flags.lang}'\nusage: ${USAGE}`);
    lang = flags.lang;
  }
  const budgetFlag = flags['evidence-budget'];
  const evidenceBudget = budgetFlag === undefined ? undefined : budgetFlag === 'all' ? Infinity : positiveInt(budgetFlag.replaceAll('_', ''), 'evidence-budget', USAGE);
  if (flags.registry !== undefined) await checkRegistry(vault, flags.registry, flags.release);
  const progress = progressMeter(io, flags.quiet === true);
  // The share done and the ETA are by bytes of the file (compressed bytes for a gzip dump).
  const size = io.stderr.isTTY ? await fs.stat(dump).then((s) => s.size, () => undefined) : undefined;
  const report = await traceDump({
    vault,
    dump,
    release: flags.release,
    bound,
    workers: flags.workers === undefined ? undefined : positiveInt(flags.workers, 'workers', USAGE),
    evidenceBudget,
    onProgress: (rows, bytes) => progress.update('trace', rows, bytes, { bytes: size }),
  }).finally(() => progress.clear());
  const json = JSON.stringify(report, null, 2) + '\n';
  if (flags.report !== undefined) await writeOut(flags.report, json);
  if (flags.html !== undefined) {
    const { renderHtmlReport } = await import('../../attribution/html.js');
    await writeOut(flags.html, renderHtmlReport(report, { lang }));
  }
  if (flags.json) io.stdout.write(json);
  else if (!flags.quiet) io.stdout.write(formatTraceSummary(report));
  return 0;
}

/**
 * `--registry`: trace never needs the registry (the vault keeps what it needs), but an
 * investigator who holds one can have it checked against the signed ledger: it must be the file
 * the release (or one of the releases) was issued from.
 */
async function checkRegistry(vaultDir: string, registry: string, release: string | undefined): Promise<void> {
  const { createHash } = await import('node:crypto');
  const { createReadStream } = await import('node:fs');
  const { openVault } = await import('../../vault/vault.js');
  const { readLedger } = await import('../../vault/ledger.js');
  const vault = await openVault(vaultDir);
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(registry, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  } catch (err) {
    throw ioError(err, registry);
  }
  const sha = hash.digest('hex');
  const releases = (await readLedger(vault.ledgerPath, vault.publicKey)).filter(
    (e) => e.type === 'release' && (release === undefined || e.data.release === release),
  );
  const issuedFrom = releases.some((e) => (e.data.registry as { sha256?: string } | undefined)?.sha256 === sha);
  if (!issuedFrom) {
    throw new RollmarkError(
      'REGISTRY_MISMATCH',
      `not the registry ${release === undefined ? 'any release in the ledger' : `release '${release}'`} was issued from (sha256 ${sha})`,
      { file: registry },
    );
  }
}

async function writeOut(file: string, text: string): Promise<void> {
  const temp = `${file}.partial-${process.pid}`;
  try {
    await fs.writeFile(temp, text);
    await fs.rename(temp, file);
  } catch (err) {
    await fs.rm(temp, { force: true });
    throw ioError(err, file);
  }
}

function fmtP(s: { pValue: number; log10PValue: number }): string {
  return s.log10PValue < -300 ? `1e${s.log10PValue.toFixed(0)}` : s.pValue.toExponential(1);
}

/** The short human summary printed by default. */
export function formatTraceSummary(r: TraceReport): string {
  const lines: string[] = [];
  const who = r.suspects.filter((s) => s.implicated);
  const verdictLine: Record<TraceReport['verdict'], string> = {
    attributed: `ATTRIBUTED to ${who[0]?.recipient} (${who[0]?.name}) in release ${r.release}`,
    collusion: `COLLUSION: ${who.map((s) => s.recipient).join(', ')} in release ${r.release}`,
    'no-recipient': `NO RECIPIENT implicated although a single leaker would have been found (release ${r.release}): an unmarked copy or the issuer's own master`,
    inconclusive: 'INCONCLUSIVE: too little evidence to implicate anyone',
  };
  lines.push(`verdict: ${verdictLine[r.verdict]}`);
  lines.push(`bound: pValue <= ${r.falseAccusationBound} implicates (corrected for ${r.recipientsTested} recipients tested)`);
  lines.push(
    `dump: ${r.dump.rows} rows, ${r.dump.rowsMatched} matched, ${r.dump.rowsDuplicate ?? 0} repeats of a record already counted, ${r.dump.rowsForeign} foreign, ${r.dump.rowsRejected} unreadable; sha256 ${r.dump.sha256}`,
  );
  for (const rel of r.releases) {
    const marks = rel.classes.filter((c) => !c.dropped && c.name !== 'canary').reduce((a, c) => a + c.observations, 0);
    lines.push(
      `release ${rel.release}: ${rel.rowsMatched} rows matched, ${marks} mark positions read${scoringNote(rel.scoring)}, ${rel.canariesFound.length} canaries found, ${rel.canariesObserved} canary positions`,
    );
    const mapped = (rel.columns as { dump: number; registry: string | null }[]).filter((c) => c.registry !== null);
    lines.push(`  columns: ${mapped.map((c) => `${c.dump + 1}->${c.registry}`).join(' ')}`);
  }
  lines.push('suspects:');
  for (const s of r.suspects.slice(0, 12)) {
    lines.push(
      `  ${s.implicated ? '*' : ' '} ${s.recipient.padEnd(12)} p <= ${fmtP(s).padEnd(9)} log10 ${s.log10PValue.toFixed(1).padStart(8)}  canaries ${s.canaries}  (${s.release})`,
    );
  }
  return lines.join('\n') + '\n';
}

/** Past the evidence budget: whose marks were read. */
function scoringNote(scoring: TraceReport['releases'][number]['scoring']): string {
  if (scoring === undefined || scoring.share >= 1) return '';
  return ` (from ${scoring.recordsScored} records, ${(100 * scoring.share).toFixed(1)}% of them: evidence budget ${scoring.budget})`;
}
