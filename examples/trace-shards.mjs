#!/usr/bin/env node
// Trace a dump shard by shard, then merge: the pattern for a job array, a cluster or any engine
// that runs independent jobs over byte ranges of one big file.
//
//   planShards(dump, n)          -> byte ranges that start at record boundaries
//   claimShard({ range })        -> which records a range holds (record ids only: cheap)
//   mergeClaims(claims before i) -> what shard i must de-duplicate against
//   traceShard({ range, earlier })-> the shard's evidence, a JSON-serializable state
//   mergeShards({ states })      -> the signed report, the same as one traceDump of the whole file
//
// Each record counts once across shards (the first row in file order wins), so the merged
// report does not depend on how the file was cut. A gzip dump cannot be cut: trace it whole.
//
//   node examples/trace-shards.mjs [OUT_DIR]
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  claimShard,
  initVault,
  issueRelease,
  mergeClaims,
  mergeShards,
  parseAttacks,
  planShards,
  simulateLeak,
  traceDump,
  traceShard,
  verifyDocument,
  writeSyntheticRegistry,
} from '../dist/index.js';

const ROWS = Number(process.env.ROLLMARK_EXAMPLE_ROWS ?? 20_000);
const SHARDS = 4;
const dir = process.argv[2] ?? (await fsp.mkdtemp(path.join(os.tmpdir(), 'rollmark-shards-')));
await fsp.mkdir(dir, { recursive: true });

// the issuer's side: a registry, a vault, a release to five parties
const registry = path.join(dir, 'padron.csv');
const out = fs.createWriteStream(registry);
await writeSyntheticRegistry({ rows: ROWS, seed: 'shards-example' }, out);
await new Promise((resolve, reject) => out.end((err) => (err ? reject(err) : resolve())));
const vault = await initVault(path.join(dir, 'vault'));
const parties = ['PA', 'PR', 'PV', 'PN', 'PM'].map((id) => ({ id, name: `Partido ${id}` }));
const issued = await issueRelease({ vault, registry, recipients: parties, release: 'LN-SHARDS-01', outDir: path.join(dir, 'copias') });

// the leak: a third of Partido Naranja's copy, rows repeated here and there, as plain CSV
const dump = path.join(dir, 'encontrado.csv');
await simulateLeak({
  copies: [issued.copies.find((c) => c.recipient === 'PN').file],
  attacks: parseAttacks('sample:0.3,duplicate:0.05,shuffle-rows'),
  seed: 'shards-example-leak',
  out: dump,
});

// 1. cut the dump into byte ranges at record boundaries
const ranges = await planShards(dump, SHARDS);
console.log(`dump: ${dump} (${fs.statSync(dump).size} bytes) in ${ranges.length} shards: ${ranges.map((r) => `[${r.start}, ${r.end})`).join(' ')}`);

// 2. every shard's claims (which records it holds), independently
const claims = await Promise.all(ranges.map((range) => claimShard({ vault: vault.dir, dump, range })));

// 3. every shard's evidence, independently, de-duplicated against the claims of the shards
//    before it; a state is plain JSON, so a job can write it to a file for the merge step
const stateFiles = await Promise.all(
  ranges.map(async (range, i) => {
    const earlier = i === 0 ? undefined : mergeClaims(claims.slice(0, i));
    const state = await traceShard({ vault: vault.dir, dump, range, earlier });
    const file = path.join(dir, `shard-${i}.json`);
    await fsp.writeFile(file, JSON.stringify(state));
    return file;
  }),
);

// 4. merge the states into the signed report
const states = await Promise.all(stateFiles.map(async (f) => JSON.parse(await fsp.readFile(f, 'utf8'))));
states.forEach((st, i) => console.log(`shard ${i}: bytes [${st.dump.start}, ${st.dump.end}), ${st.rows} rows read -> ${stateFiles[i]}`));
const report = await mergeShards({ vault: vault.dir, dump, states });
console.log(`merged: verdict ${report.verdict}, ${report.dump.rowsMatched} of ${report.dump.rows} rows matched`);
for (const s of report.suspects) console.log(`  ${s.implicated ? '*' : ' '} ${s.recipient}  log10 p ${s.log10PValue.toFixed(2)}`);
console.log(`signature valid: ${verifyDocument(report, vault.publicKey)}`);

// the same evidence as one pass over the whole file
const whole = await traceDump({ vault: vault.dir, dump });
const same =
  whole.verdict === report.verdict &&
  whole.dump.rowsMatched === report.dump.rowsMatched &&
  whole.suspects.every((s, i) => s.recipient === report.suspects[i].recipient && s.log10PValue === report.suspects[i].log10PValue);
console.log(`same as a single traceDump: ${same}`);

if (!same || report.verdict !== 'attributed' || report.suspects[0].recipient !== 'PN') {
  console.error('trace-shards: the merged report does not match a whole-dump trace attributing the leak to PN');
  process.exit(1);
}
