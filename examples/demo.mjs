#!/usr/bin/env node
// The whole story on an embedded default, no server, no network:
// synthesize a registry, issue marked copies to seven parties, fake a leak from one of them
// (a normalised 5% sample with the identifier columns dropped, re-encoded as Latin-1 TSV in
// gzip), trace it, print the verdict and write the signed report (JSON and HTML).
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  initVault,
  issueRelease,
  traceDump,
  verifyDocument,
  writeSyntheticRegistry,
  simulateLeak,
  parseAttacks,
  renderHtmlReport,
  formatTraceSummary,
} from '../dist/index.js';

const ROWS = Number(process.env.ROLLMARK_DEMO_ROWS ?? 100_000);
const dir = process.argv[2] ?? (await fsp.mkdtemp(path.join(os.tmpdir(), 'rollmark-demo-')));
await fsp.mkdir(dir, { recursive: true });
const step = (text) => console.log(`\n== ${text}`);

step(`1. the issuer creates its vault in ${dir}/vault`);
const vault = await initVault(path.join(dir, 'vault'));

step(`2. a synthetic mx-ine registry of ${ROWS.toLocaleString('en-US')} voters`);
const registry = path.join(dir, 'padron.csv');
const out = fs.createWriteStream(registry);
const t0 = Date.now();
await writeSyntheticRegistry({ rows: ROWS, seed: 'demo' }, out);
await new Promise((resolve) => out.end(resolve));
console.log(`   ${registry} (${(fs.statSync(registry).size / 1e6).toFixed(1)} MB, ${((Date.now() - t0) / 1000).toFixed(1)} s)`);

step('3. release LN-DEMO-01: one marked copy per party, canaries, receipts, signed ledger');
const parties = [
  ['PA', 'Partido Azul'],
  ['PR', 'Partido Rojo'],
  ['PV', 'Partido Verde'],
  ['PN', 'Partido Naranja'],
  ['PM', 'Partido Morado'],
  ['PG', 'Partido Gris'],
  ['PB', 'Partido Blanco'],
].map(([id, name]) => ({ id, name }));
const t1 = Date.now();
const issued = await issueRelease({ vault, registry, recipients: parties, release: 'LN-DEMO-01', outDir: path.join(dir, 'copias') });
console.log(`   ${issued.copies.length} copies, ${issued.canaries} canary rows composed, ${((Date.now() - t1) / 1000).toFixed(1)} s`);
for (const c of issued.copies) console.log(`   ${c.recipient}  ${c.rows} rows (${c.canaries} canaries)  sha256 ${c.sha256.slice(0, 16)}...`);

step('4. a leak turns up: 5% of Partido Verde\'s copy, identifiers dropped, normalised, Latin-1 TSV, gzip');
const dump = path.join(dir, 'filtracion.tsv.gz');
const leak = await simulateLeak({
  copies: [issued.copies.find((c) => c.recipient === 'PV').file],
  attacks: parseAttacks('sample:0.05,drop:ELECTOR+CURP+OCR+FOL_NAC,normalize:upper+accents+whitespace,shuffle-rows,shuffle-columns'),
  seed: 'demo-leak',
  out: dump,
  format: { delimiter: '\t', encoding: 'latin1', gzip: true },
});
console.log(`   ${leak.description}`);

step('5. the investigator traces the dump');
const report = await traceDump({ vault, dump });
process.stdout.write(formatTraceSummary(report));
const reportFile = path.join(dir, 'report.json');
const htmlFile = path.join(dir, 'report.html');
await fsp.writeFile(reportFile, JSON.stringify(report, null, 2) + '\n');
await fsp.writeFile(htmlFile, renderHtmlReport(report, { lang: 'es' }));
console.log(`   signed report: ${reportFile}\n   HTML evidence report: ${htmlFile}`);
console.log(`   signature valid with the issuer's public key: ${verifyDocument(report, vault.publicKey)}`);
console.log(`   check it yourself: node bin/rollmark.mjs verify --public-key ${path.join(dir, 'vault', 'issuer.pub')} --report ${reportFile}`);

if (report.verdict !== 'attributed' || report.suspects[0].recipient !== 'PV') {
  console.error('demo: the leak was not attributed to PV');
  process.exit(1);
}
