import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { issueFixture, type Issued } from '../e2e/fixture.js';
import { traceDump } from '../../src/attribution/trace.js';
import { prepareTrace } from '../../src/attribution/trace-plan.js';
import { runShardJob } from '../../src/attribution/shard-job.js';
import { simulateLeak, parseAttacks } from '../../src/lab/simulate.js';
import { openDump } from '../../src/attribution/dump.js';
import { EvidenceTally } from '../../src/attribution/evidence.js';
import { CodeBook, RecordIds, canonicalKey } from '../../src/code/codebook.js';
import { AMBIGUOUS, Fingerprinter, matchValue } from '../../src/code/match-index.js';
import { cellMarks, classTable } from '../../src/code/marks.js';
import { loadRelease, releaseKeys } from '../../src/code/release.js';
import { resolveSchema } from '../../src/schema/schema.js';
import { applyTransform } from '../../src/attribution/columns.js';
import type { TraceReport } from '../../src/attribution/report.js';

/**
 * The byte-scanner reader, the worker shards and the general reader must give the same report;
 * and the row core must give what the original one-row-at-a-time loop gave (a reference model
 * below, written as trace.ts was before the fast path, on dump.ts's rows).
 */
let fx: Issued;
const now = () => new Date('2026-04-01T00:00:00Z');

beforeAll(async () => {
  fx = await issueFixture(12_000, { recipients: 7, seed: 'trace-paths' });
});
afterAll(async () => {
  if (fx) await fsp.rm(fx.dir, { recursive: true, force: true });
});

async function leak(name: string, copies: string[], attacks: string, format = {}): Promise<string> {
  const out = path.join(fx.dir, name);
  await simulateLeak({ copies: copies.map((c) => fx.copy(c)), attacks: parseAttacks(attacks), seed: name, out, format });
  return out;
}

/** The report without what differs run to run (time, signature). */
function body(r: TraceReport): unknown {
  const { generatedAt: _t, signature: _s, ...rest } = r;
  return rest;
}

async function allPaths(dump: string): Promise<TraceReport[]> {
  const general = await traceDump({ vault: fx.vault, dump, now, reader: 'general' });
  const fast = await traceDump({ vault: fx.vault, dump, now, workers: 1 });
  const two = await traceDump({ vault: fx.vault, dump, now, workers: 2 });
  const three = await traceDump({ vault: fx.vault, dump, now, workers: 3 });
  return [general, fast, two, three];
}

async function expectSameEverywhere(dump: string): Promise<TraceReport> {
  const [general, ...others] = await allPaths(dump);
  for (const r of others) expect(body(r)).toEqual(body(general));
  await expectReferenceTally(dump);
  return general;
}

/**
 * The original row loop (trace.ts before the byte scanner), kept here as the reference: the
 * evidence it builds from dump.ts's rows must be what the row core builds.
 */
async function referenceTally(dump: string): Promise<{ tally: string; rowsMatched: number; rowsDuplicate: number; key: number; match: number[]; canaries: string[]; groups: [string, number][]; rows: number; rejected: number }> {
  const entry = (await import('../../src/vault/ledger.js')).readLedger;
  const ledger = await entry(fx.vault.ledgerPath, fx.vault.publicKey);
  const e = ledger.find((x) => x.type === 'release')!;
  const id = String(e.data.release);
  const release = await loadRelease(fx.vault.releaseDir(id));
  const m = release.manifest;
  const schema = resolveSchema(m.schema, m.header);
  const keys = releaseKeys(fx.vault.master, id);
  const src = await openDump(dump);
  const { plan } = await prepareTrace({ vault: fx.vault, dump });
  const mapping = plan.releases[0].mapping;
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
  const classes = classTable(schema.marks);
  const R = m.recipients.length;
  const tally = new EvidenceTally(R);
  const tallyClass = classes.names.map((n) => tally.classIndex(n));
  tally.classIndex('canary');
  const ids = new RecordIds(keys.record);
  const fps = new Fingerprinter(keys.index);
  const code = new CodeBook(keys.code, R, m.code.cutoff);
  const tables = dumpColumn[schema.key] < 0 ? await release.loadIndex() : null;
  const byHash = new Map<string, string>();
  const byFp = schema.match.map(() => new Map<string, string>());
  const recordOf = new Map<string, number>();
  for (const g of release.canaries.groups) {
    for (const c of g.canaries) {
      const k = `${c.hashHi}:${c.hashLo}`;
      byHash.set(k, k);
      recordOf.set(k, c.recordId);
      c.fingerprints.forEach((f, s) => f !== null && byFp[s].set(`${f[0]}:${f[1]}`, k));
    }
  }
  let bits = 1 << 16;
  while (bits < m.registry.rows * 128 && bits < 2 ** 32) bits *= 2;
  const seen = new Uint8Array(bits / 8);
  const found: string[] = [];
  const groups = new Map<string, number>();
  const xs = new Uint8Array(R);
  let rowsMatched = 0;
  let rowsDuplicate = 0;
  let rows = 0;
  const matchedBy = { key: 0, match: schema.match.map(() => 0) };
  const cellOf = (fields: string[], column: number): string | null => {
    const d = dumpColumn[column];
    if (d < 0 || d >= fields.length) return null;
    const t = transforms[column];
    return t === undefined ? fields[d] : applyTransform(t, fields[d]);
  };
  for await (const { fields } of src.rows()) {
    rows++;
    let recordId = -1;
    let canary: string | undefined;
    const keyCell = cellOf(fields, schema.key);
    if (keyCell !== null && keyCell.trim() !== '') {
      recordId = ids.compute(canonicalKey(keyCell));
      canary = byHash.get(`${ids.hashHi}:${ids.hashLo}`);
      if (canary === undefined && tables === null) matchedBy.key++;
    } else if (tables !== null) {
      for (let s = 0; s < schema.match.length && recordId < 0 && canary === undefined; s++) {
        const set = schema.match[s];
        const vals: string[] = [];
        let ok = true;
        for (const c of set) {
          const cell = cellOf(fields, c);
          if (cell === null) {
            ok = false;
            break;
          }
          const marked = schema.marks.find((mm) => mm.column === c);
          vals.push(matchValue(cell, marked ? marked.robust : null));
        }
        if (!ok || !fps.compute(s, vals)) continue;
        canary = byFp[s].get(`${fps.lo}:${fps.hi}`);
        if (canary !== undefined) break;
        const hit = tables[s].lookup(fps.lo, fps.hi);
        if (hit >= 0 && hit !== AMBIGUOUS) {
          recordId = hit;
          matchedBy.match[s]++;
        }
      }
    }
    if (canary !== undefined) {
      recordId = recordOf.get(canary)!;
      if (found.includes(canary)) {
        rowsDuplicate++;
        continue;
      }
      found.push(canary);
      rowsMatched++;
    } else {
      if (recordId < 0) continue;
      const bit = (recordId & (bits - 1)) >>> 0;
      if ((seen[bit >>> 3] & (1 << (bit & 7))) !== 0) {
        rowsDuplicate++;
        continue;
      }
      seen[bit >>> 3] |= 1 << (bit & 7);
      rowsMatched++;
      if (schema.group.every((g) => dumpColumn[g] >= 0)) {
        const gv = schema.group.map((g) => cellOf(fields, g) ?? '').join('|');
        groups.set(gv, (groups.get(gv) ?? 0) + 1);
      }
    }
    for (const mc of schema.marks) {
      const cell = cellOf(fields, mc.column);
      if (cell === null || cell === '') continue;
      for (const p of cellMarks(mc, classes, cell).positions) {
        if (p.symbol < 0) continue;
        const P = code.load(recordId, p.slot);
        code.symbols(P, xs);
        tally.observe(p.symbol as 0 | 1, P, xs, tallyClass[p.cls]);
      }
    }
  }
  return {
    tally: tally.toJSON().data,
    rowsMatched,
    rowsDuplicate,
    key: matchedBy.key,
    match: matchedBy.match,
    canaries: found,
    groups: [...groups],
    rows,
    rejected: src.stats.rowsRejected,
  };
}

async function expectReferenceTally(dump: string): Promise<void> {
  const ref = await referenceTally(dump);
  const { plan } = await prepareTrace({ vault: fx.vault, dump });
  const { state } = await runShardJob(plan, { range: { start: 0, end: plan.size }, claim: null, hash: false });
  const r = state.releases[0];
  expect(state.rows).toBe(ref.rows);
  expect(state.rowsRejected).toBe(ref.rejected);
  expect(r.rowsMatched).toBe(ref.rowsMatched);
  expect(r.rowsDuplicate).toBe(ref.rowsDuplicate);
  expect(r.matchedBy).toEqual({ key: ref.key, match: ref.match });
  expect(r.canariesFound).toEqual(ref.canaries);
  expect(new Map(r.groups)).toEqual(new Map(ref.groups));
  // Byte for byte the tally the original loop fed position by position.
  expect(r.tally.data).toBe(ref.tally);
}

describe('the fast reader, the shards and the general reader agree', () => {
  it('a full copy with the key column', async () => {
    const r = await expectSameEverywhere(fx.copy('P3'));
    expect(r.suspects[0].recipient).toBe('P3');
    expect(r.releases[0].matchedBy.key).toBeGreaterThan(0);
  });

  it('an id-less normalised sample (the match index)', async () => {
    const r = await expectSameEverywhere(await leak('idless.csv', ['P5'], 'sample:0.5,drop:ELECTOR+CURP+OCR+FOL_NAC,normalize:accents+whitespace'));
    expect(r.releases[0].matchedBy.match[0]).toBeGreaterThan(0);
    expect(r.suspects[0].recipient).toBe('P5');
  });

  it('a TSV without header, shuffled columns, CRLF line ends', async () => {
    await expectSameEverywhere(await leak('shuffled.tsv', ['P2'], 'sample:0.7,shuffle-columns,shuffle-rows', { delimiter: '\t', header: false, crlf: true }));
  });

  it('a Latin-1 dump', async () => {
    const dump = await leak('latin1.csv', ['P4'], 'sample:0.6', { encoding: 'latin1' });
    const r = await expectSameEverywhere(dump);
    expect(r.dump.format.encoding).toBe('latin1');
  });

  it('a gzip dump with a BOM (one stream: read in order)', async () => {
    const r = await expectSameEverywhere(await leak('bom.csv.gz', ['P6'], 'sample:0.6', { gzip: true, bom: true }));
    expect(r.dump.format.gzip).toBe(true);
  });

  it('a truncated gzip dump: the cut-off last line is one rejected row', async () => {
    const whole = await fsp.readFile(await leak('whole.csv.gz', ['P6'], 'sample:0.3', { gzip: true }));
    const cut = path.join(fx.dir, 'cut.csv.gz');
    await fsp.writeFile(cut, whole.subarray(0, Math.floor(whole.length * 0.7)));
    const r = await expectSameEverywhere(cut);
    expect(r.dump.rowsRejected).toBe(1);
  });

  it('duplicated rows, and two copies of every record with different marks', async () => {
    await expectSameEverywhere(await leak('dup.csv', ['P3'], 'sample:0.5,duplicate:0.8,shuffle-rows'));
    // P1's rows then P2's: every record twice, its marks differing; the first row in file order
    // counts, however the dump is cut.
    const a = await fsp.readFile(fx.copy('P1'), 'utf8');
    const b = await fsp.readFile(fx.copy('P2'), 'utf8');
    const both = path.join(fx.dir, 'both.csv');
    await fsp.writeFile(both, a + b.slice(b.indexOf('\n') + 1));
    const r = await expectSameEverywhere(both);
    expect(r.releases[0].rowsDuplicate).toBeGreaterThan(10_000);
    expect(r.suspects[0].recipient).toBe('P1');
  });

  it('broken lines: stray quotes, short and long rows, bytes that are not UTF-8, blank lines, quoted fields', async () => {
    const src = await fsp.readFile(await leak('clean.csv', ['P7'], 'sample:0.5'), 'utf8');
    const lines = src.split('\n');
    const out: (string | Buffer)[] = [];
    lines.forEach((line, i) => {
      if (i > 0 && i % 997 === 0) out.push('"a stray quote,that never closes,' + line);
      if (i > 0 && i % 1301 === 0) out.push('too,few,fields');
      if (i > 0 && i % 1503 === 0) out.push(line + ',' + line);
      if (i > 0 && i % 1709 === 0) out.push(Buffer.concat([Buffer.from(line.slice(0, 30)), Buffer.from([0xff, 0xfe, 0x41])]));
      if (i > 0 && i % 811 === 0) out.push('   ', '', '\t');
      // A marked cell quoted, as a CSV writer would when it held a comma.
      if (i > 0 && i % 7 === 0) {
        const f = line.split(',');
        if (f.length > 15) {
          f[12] = `"${f[12]}, INT ""B"""`;
          line = f.join(',');
        }
      }
      out.push(line);
    });
    const dump = path.join(fx.dir, 'broken.csv');
    await fsp.writeFile(dump, Buffer.concat(out.map((x, i) => Buffer.concat([typeof x === 'string' ? Buffer.from(x) : x, Buffer.from(i < out.length - 1 ? '\n' : '')]))));
    const r = await expectSameEverywhere(dump);
    expect(r.dump.rowsRejected).toBeGreaterThan(10);
    expect(r.suspects[0].recipient).toBe('P7');
  });

  it('a dump whose first megabyte is ASCII settles its encoding on the first other row, as dump.ts does', async () => {
    const src = await fsp.readFile(await leak('ascii.csv', ['P1'], 'sample:0.9,normalize:accents'), 'utf8');
    const lines = src.split('\n');
    // ~1.5 MB of ASCII, then a Latin-1 row: the dump becomes Latin-1 from there.
    const head = lines.slice(0, 7000).join('\n');
    const latin = Buffer.from(lines[7001].replace(/,/, ',\u00d1'), 'latin1');
    const dump = path.join(fx.dir, 'late-latin1.csv');
    await fsp.writeFile(dump, Buffer.concat([Buffer.from(head + '\n'), latin, Buffer.from('\n' + lines.slice(7002).join('\n'))]));
    const r = await expectSameEverywhere(dump);
    expect(r.dump.format.encoding).toBe('latin1');
  });

  it('a small gzip made by hand (the whole file in one chunk)', async () => {
    const text = (await fsp.readFile(fx.copy('P4'), 'utf8')).split('\n').slice(0, 3000).join('\n');
    const dump = path.join(fx.dir, 'small.csv.gz');
    await fsp.writeFile(dump, gzipSync(text));
    await expectSameEverywhere(dump);
  });
});

describe('progress', () => {
  it('reports the rows read and the bytes of the file read, to set against its size (plain, gzip, the general reader)', async () => {
    // A copy six times over (~72,000 rows): progress comes every 65,536 rows.
    const text = await fsp.readFile(fx.copy('P5'), 'utf8');
    const body = text.slice(text.indexOf('\n') + 1);
    const plain = path.join(fx.dir, 'progress.csv');
    await fsp.writeFile(plain, text + body.repeat(5));
    const gz = path.join(fx.dir, 'progress.csv.gz');
    await fsp.writeFile(gz, gzipSync(await fsp.readFile(plain)));
    const crlf = path.join(fx.dir, 'progress-crlf.csv');
    await fsp.writeFile(crlf, (await fsp.readFile(plain, 'utf8')).replace(/\n/g, '\r\n'));
    for (const [dump, reader] of [[plain, 'auto'], [gz, 'auto'], [crlf, 'general']] as const) {
      const size = (await fsp.stat(dump)).size;
      const calls: [number, number | undefined][] = [];
      const r = await traceDump({ vault: fx.vault, dump, now, workers: 1, reader, onProgress: (rows, bytes) => calls.push([rows, bytes]) });
      // Once as the rows start to be read, then every 65,536 rows.
      expect(calls[0], dump).toEqual([0, 0]);
      expect(calls.length, dump).toBe(2);
      for (const [rows, bytes] of calls.slice(1)) {
        expect(rows).toBe(65_536);
        expect(bytes, dump).toBeGreaterThan(0);
        expect(bytes!, dump).toBeLessThanOrEqual(size);
        // Bytes read run ahead of the rows handed on by at most the reader's buffers.
        if (dump !== gz) expect(bytes!, dump).toBeGreaterThanOrEqual((size * rows) / r.dump.rows - (2 << 20));
      }
    }
  });
});
