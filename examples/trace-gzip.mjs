#!/usr/bin/env node
// Trace a gzip-compressed dump.
//
// traceDump recognises gzip by its magic bytes (whatever the file is called), as well as the
// delimiter, the encoding (UTF-8 or Latin-1), whether there is a header, and which column is
// which by content. Here a leak of one party's copy (10% of its rows, identifiers dropped,
// upper-cased, columns shuffled) is gzipped with node:zlib as a leaker would, then traced.
//
//   node examples/trace-gzip.mjs [OUT_DIR]
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import {
  formatTraceSummary,
  initVault,
  issueRelease,
  parseAttacks,
  renderHtmlReport,
  simulateLeak,
  traceDump,
  writeSyntheticRegistry,
} from '../dist/index.js';

const ROWS = Number(process.env.ROLLMARK_EXAMPLE_ROWS ?? 20_000);
const dir = process.argv[2] ?? (await fsp.mkdtemp(path.join(os.tmpdir(), 'rollmark-gzip-')));
await fsp.mkdir(dir, { recursive: true });

// the issuer's side: a registry, a vault, a release to four parties
const registry = path.join(dir, 'padron.csv');
const out = fs.createWriteStream(registry);
await writeSyntheticRegistry({ rows: ROWS, seed: 'gzip-example' }, out);
await new Promise((resolve, reject) => out.end((err) => (err ? reject(err) : resolve())));
const vault = await initVault(path.join(dir, 'vault'));
const parties = [
  { id: 'PA', name: 'Partido Azul' },
  { id: 'PR', name: 'Partido Rojo' },
  { id: 'PV', name: 'Partido Verde' },
  { id: 'PN', name: 'Partido Naranja' },
];
const issued = await issueRelease({ vault, registry, recipients: parties, release: 'LN-GZIP-01', outDir: path.join(dir, 'copias') });

// the leak: Partido Rojo's copy, cut down and re-formatted, then gzipped
const plain = path.join(dir, 'leak.csv');
await simulateLeak({
  copies: [issued.copies.find((c) => c.recipient === 'PR').file],
  attacks: parseAttacks('sample:0.1,drop:ELECTOR+CURP+OCR+FOL_NAC,normalize:upper,shuffle-rows,shuffle-columns'),
  seed: 'gzip-example-leak',
  out: plain,
});
const dump = path.join(dir, 'encontrado.csv.gz');
await pipeline(fs.createReadStream(plain), createGzip(), fs.createWriteStream(dump));
await fsp.rm(plain);
console.log(`dump: ${dump} (${fs.statSync(dump).size} bytes of gzip)`);

// the investigator's side: only the vault and the found file
const report = await traceDump({ vault: vault.dir, dump });
process.stdout.write(formatTraceSummary(report));
console.log(`format found: gzip=${report.dump.format.gzip} encoding=${report.dump.format.encoding} header=${report.dump.format.hasHeader}`);
const reportFile = path.join(dir, 'report.json');
await fsp.writeFile(reportFile, JSON.stringify(report, null, 2) + '\n');
const htmlFile = path.join(dir, 'report.html');
await fsp.writeFile(htmlFile, renderHtmlReport(report, { lang: 'en' }));
console.log(`signed report: ${reportFile}\nHTML evidence report: ${htmlFile}`);

if (!report.dump.format.gzip || report.verdict !== 'attributed' || report.suspects[0].recipient !== 'PR') {
  console.error('trace-gzip: the gzip dump was not attributed to PR');
  process.exit(1);
}
