#!/usr/bin/env node
// Issue marked copies from a registry that arrives as a stream.
//
// issueRelease reads its registry from a file (it makes two passes over it: one to check and
// profile it, one to write the copies), so a registry that arrives as a stream (a database
// export, a download, a decompressor, a generator) is first piped to a file, then issued.
// Here the stream is the synthetic mx-ine generator (synthesizeRegistry, one row at a time,
// memory bounded by one section) turned into CSV text and piped to disk with backpressure.
//
//   node examples/issue-from-stream.mjs [OUT_DIR]
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  MX_INE_COLUMNS,
  initVault,
  issueRelease,
  loadPublicKey,
  synthesizeRegistry,
  verifyDocument,
  verifyLedger,
} from '../dist/index.js';

const ROWS = Number(process.env.ROLLMARK_EXAMPLE_ROWS ?? 20_000);
const dir = process.argv[2] ?? (await fsp.mkdtemp(path.join(os.tmpdir(), 'rollmark-issue-')));
await fsp.mkdir(dir, { recursive: true });

/** RFC 4180: quote a field holding a comma, a quote or a line break. */
const field = (v) => (/[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);

/** The registry as a stream of CSV lines: header first, then the rows as they are generated. */
function registryStream(options) {
  return Readable.from(
    (function* () {
      yield MX_INE_COLUMNS.join(',') + '\n';
      for (const row of synthesizeRegistry(options)) yield row.map(field).join(',') + '\n';
    })(),
  );
}

// 1. the registry stream -> a file (pipeline waits for the disk whenever the stream outruns it)
const registry = path.join(dir, 'padron.csv');
await pipeline(registryStream({ rows: ROWS, seed: 'stream-example', states: ['09', '15'] }), fs.createWriteStream(registry));
console.log(`registry: ${registry} (${(fs.statSync(registry).size / 1e6).toFixed(1)} MB, ${ROWS} rows of Ciudad de Mexico and Mexico)`);

// 2. the recipients, as the CLI takes them: a CSV with header id,name
const recipients = path.join(dir, 'partidos.csv');
await fsp.writeFile(recipients, 'id,name\nPA,Partido Azul\nPR,Partido Rojo\nPV,"Partido Verde, A.C."\n');

// 3. the vault and the release
const vault = await initVault(path.join(dir, 'vault'));
const issued = await issueRelease({ vault, registry, recipients, release: 'LN-STREAM-01', outDir: path.join(dir, 'copias') });
console.log(`issued release ${issued.release}: ${issued.registryRows} registry rows, ${issued.canaries} canary rows composed`);
for (const c of issued.copies) console.log(`  ${c.recipient} ${c.file} ${c.rows} rows (${c.canaries} canaries) sha256 ${c.sha256}`);

// 4. what a recipient can check with the public key alone: its receipt and the ledger
const publicKey = await loadPublicKey(path.join(vault.dir, 'issuer.pub'));
for (const c of issued.copies) {
  const receipt = JSON.parse(await fsp.readFile(c.receipt, 'utf8'));
  if (!verifyDocument(receipt, publicKey, 'receipt') || receipt.sha256 !== c.sha256) {
    console.error(`issue-from-stream: receipt ${c.receipt} does not verify`);
    process.exit(1);
  }
}
const ledger = await verifyLedger(vault.ledgerPath, publicKey);
console.log(`receipts: ${issued.copies.length} valid; ledger: ${ledger.entries.length} entries, chain and signatures valid`);
