#!/usr/bin/env node
// Verify a signed trace report with nothing but the issuer's public key.
//
// A court, a journalist or the accused party gets report.json and issuer.pub (64 hex
// characters); no vault, no secret. loadPublicKey reads and checks the key file; verifyDocument
// checks the Ed25519 signature over the canonical JSON (RFC 8785) of every other field, so the
// report may be re-indented or its keys reordered, but any changed value fails; with 'report' it
// also checks that the document is a trace report (the issuer signs receipts with the same key).
//
//   node examples/verify-report.mjs issuer.pub report.json   # exit 0 valid, 1 not
//   node examples/verify-report.mjs [OUT_DIR]                # makes a report first, then verifies it
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadPublicKey, verifyDocument } from '../dist/index.js';

async function verify(publicKeyFile, reportFile) {
  const publicKey = await loadPublicKey(publicKeyFile); // throws PUBLIC_KEY_INVALID on a bad key file
  let report;
  try {
    report = JSON.parse(await fsp.readFile(reportFile, 'utf8'));
  } catch (err) {
    throw new Error(`${reportFile}: ${err.code === 'ENOENT' ? 'no such file' : `not JSON (${err.message})`}`);
  }
  return { report, valid: verifyDocument(report, publicKey, 'report') };
}

let [publicKeyFile, reportFile] = process.argv.slice(2);
const demo = reportFile === undefined;
if (demo) {
  const dir = publicKeyFile ?? (await fsp.mkdtemp(path.join(os.tmpdir(), 'rollmark-verify-')));
  await fsp.mkdir(dir, { recursive: true });
  ({ publicKeyFile, reportFile } = await makeReport(dir));
}

try {
  const { report, valid } = await verify(publicKeyFile, reportFile);
  if (!valid) {
    console.log(`INVALID: ${reportFile} is not a trace report signed by the key in ${publicKeyFile} (altered, signed by another key, or another kind of document)`);
    process.exit(1);
  }
  const top = report.suspects?.[0];
  console.log(`VALID: ${reportFile} is signed by the key in ${publicKeyFile}`);
  console.log(`  verdict ${report.verdict}, release ${report.release}, dump sha256 ${report.dump?.sha256}`);
  if (top) console.log(`  strongest suspect ${top.recipient}: log10 p = ${top.log10PValue.toFixed(1)}`);
  if (demo) {
    // the same report with one value changed no longer verifies
    const forged = { ...report, verdict: 'inconclusive' };
    const forgedFile = path.join(path.dirname(reportFile), 'forged.json');
    await fsp.writeFile(forgedFile, JSON.stringify(forged, null, 2));
    const again = await verify(publicKeyFile, forgedFile);
    console.log(`  a copy with the verdict changed: ${again.valid ? 'VALID (unexpected)' : 'INVALID, as it should be'}`);
    if (again.valid) process.exit(1);
  }
} catch (err) {
  // RollmarkError.format() names the file, line and error code: `issuer.pub:1: ... [PUBLIC_KEY_INVALID]`
  console.error(`verify-report: ${typeof err.format === 'function' ? err.format() : err.message}`);
  process.exit(1);
}

/** The issuer's side, to have something to verify: a small release, a leak, a signed report. */
async function makeReport(dir) {
  const { initVault, issueRelease, simulateLeak, parseAttacks, traceDump, writeSyntheticRegistry } = await import('../dist/index.js');
  const registry = path.join(dir, 'padron.csv');
  const out = fs.createWriteStream(registry);
  await writeSyntheticRegistry({ rows: Number(process.env.ROLLMARK_EXAMPLE_ROWS ?? 10_000), seed: 'verify-example' }, out);
  await new Promise((resolve, reject) => out.end((err) => (err ? reject(err) : resolve())));
  const vault = await initVault(path.join(dir, 'vault'));
  const recipients = [
    { id: 'PA', name: 'Partido Azul' },
    { id: 'PV', name: 'Partido Verde' },
  ];
  const issued = await issueRelease({ vault, registry, recipients, release: 'LN-VERIFY-01', outDir: path.join(dir, 'copias') });
  const dump = path.join(dir, 'leak.csv');
  await simulateLeak({ copies: [issued.copies[1].file], attacks: parseAttacks('sample:0.1'), seed: 'verify-example', out: dump });
  const report = await traceDump({ vault, dump });
  // hand over only what a third party gets: the report and the public key, in a folder of their own
  const given = path.join(dir, 'given');
  await fsp.mkdir(given);
  await fsp.copyFile(path.join(vault.dir, 'issuer.pub'), path.join(given, 'issuer.pub'));
  await fsp.writeFile(path.join(given, 'report.json'), JSON.stringify(report, null, 2) + '\n');
  return { publicKeyFile: path.join(given, 'issuer.pub'), reportFile: path.join(given, 'report.json') };
}
