import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalKey, RecordIds } from '../../src/code/codebook.js';
import { encodeMatchTable, Fingerprinter, MatchIndexBuilder, matchValue } from '../../src/code/match-index.js';
import { releaseKeys } from '../../src/code/release.js';
import { CsvScanner, recordFields, type ScannedRecord } from '../../src/csv/scanner.js';
import { csvField } from '../../src/csv/write.js';
import { MX_INE_COLUMNS } from '../../src/presets/mx-ine/columns.js';
import { MX_INE_SCHEMA } from '../../src/presets/mx-ine/schema.js';
import { resolveSchema } from '../../src/schema/schema.js';
import { BufferPool } from '../../src/watermark/buffer-pool.js';
import { UniqueHasher } from '../../src/watermark/canaries.js';
import { issueRelease } from '../../src/watermark/issue.js';
import { encodeIndex, IndexEntries, ScanBatchBuilder, ScanHasher, scanColumns } from '../../src/watermark/scan-batch.js';
import { initVault } from '../../src/vault/vault.js';
import { PARTIES, synthRegistry, tempDir } from '../e2e/fixture.js';

const schema = resolveSchema(MX_INE_SCHEMA, [...MX_INE_COLUMNS]);
const keys = releaseKeys(new Uint8Array(32).fill(5), 'R-SCAN');
const col = (name: string) => MX_INE_COLUMNS.indexOf(name as (typeof MX_INE_COLUMNS)[number]);

describe('unique hashes', () => {
  it('are the Fingerprinter hash of a one-value set numbered 100 + column, from bytes or text', () => {
    const fp = new Fingerprinter(keys.index);
    const u = new UniqueHasher(keys.index);
    for (const column of [0, 1, 10, 26, 1899, 1900, 9999]) {
      for (const value of ['ABC123', ' abc ', '', '  ', 'ÑOÑO', 'X'.repeat(70), 'A"B', '0116412255588']) {
        fp.compute(100 + column, [canonicalKey(value) || '\u0000']);
        u.text(column, value);
        expect([u.hi, u.lo]).toEqual([fp.hi, fp.lo]);
        const bytes = Buffer.from(`xx${value}yy`);
        u.bytes(column, bytes, 2, bytes.length - 2);
        expect([u.hi, u.lo]).toEqual([fp.hi, fp.lo]);
      }
    }
  });
});

describe('scan batches', () => {
  it('hash every row as the text path does: ids, unique hashes, match fingerprints', () => {
    const header = MX_INE_COLUMNS.join(',');
    const base = [
      '1', 'ABDMJN04042901M000', '1334403786', '0116412255588', 'ABREGO', 'DOMINGUEZ', 'JUANA', '20040429', '21', 'M',
      'AEDJ040429MASBMNA0', 'EMPLEADO', 'CALLE X', '59', '', 'CENTRO', '20583', '1', '01', '01', '001', 'AGS', '0116', '0136', '79', '2022', '2',
    ];
    const edits: [string, string][] = [
      ['NOMBRE', 'MA. GUADALUPE'], ['NOMBRE', 'MA GPE'], ['NOMBRE', 'JOSE  LUIS'], ['NOMBRE', 'maria'], ['NOMBRE', ''], ['NOMBRE', 'ÑANDU'],
      ['APE_PAT', 'DE LA CRUZ'], ['APE_PAT', 'NUÑEZ'], ['APE_PAT', ' GARCIA'], ['APE_PAT', 'GARCIA '], ['APE_PAT', 'O"BRIEN'], ['APE_PAT', ''],
      ['APE_MAT', 'Lopez'], ['APE_MAT', 'X'.repeat(60)], ['FNAC', ''], ['FNAC', '1980-01-01'], ['CURP', ''], ['CURP', 'aedj040429masbmna0'],
      ['ELECTOR', ' abdmjn04042901m000 '], ['ELECTOR', 'K'.repeat(80)], ['OCR', ''], ['FOL_NAC', '"1,2"'],
    ];
    const lines = [header];
    for (const [c, v] of edits) {
      const f = base.slice();
      f[col(c)] = v;
      lines.push(f.map((x) => csvField(x)).join(','));
    }
    lines.push(base.map((x) => `"${x}"`).join(','));
    const records: string[][] = [];
    const builder = new ScanBatchBuilder(scanColumns(schema));
    let first = true;
    const scanner = new CsvScanner({});
    const onRecord = (r: ScannedRecord) => {
      if (first) {
        first = false;
        return;
      }
      builder.add(r);
      records.push(recordFields(r));
    };
    scanner.push(Buffer.from(lines.join('\n')), onRecord);
    scanner.end(onRecord);
    const { batch } = builder.take(0, new BufferPool());
    const result = new ScanHasher(schema, keys).hash(batch, null);
    expect(result.badKey).toBe(-1);

    const ids = new RecordIds(keys.record);
    const fp = new Fingerprinter(keys.index);
    const u = new UniqueHasher(keys.index);
    const robust = (c: number) => schema.marks.find((m) => m.column === c)?.robust ?? null;
    const U = 1 + schema.unique.length;
    const S = schema.match.length;
    records.forEach((f, i) => {
      const key = canonicalKey(f[schema.key]);
      expect(result.ids[i]).toBe(ids.compute(key));
      [schema.key, ...schema.unique].forEach((c, k) => {
        u.text(c, f[c]);
        expect([result.unique[(i * U + k) * 2], result.unique[(i * U + k) * 2 + 1]]).toEqual([u.hi, u.lo]);
      });
      schema.match.forEach((set, s) => {
        const ok = fp.compute(
          s,
          set.map((c) => matchValue(f[c], robust(c))),
        );
        expect(result.ok[i * S + s]).toBe(ok ? 1 : 0);
        if (ok) expect([result.fingerprints[(i * S + s) * 2], result.fingerprints[(i * S + s) * 2 + 1]]).toEqual([fp.lo, fp.hi]);
      });
    });
  });

  it('build the index file MatchIndexBuilder builds from the same entries', () => {
    const entries = new IndexEntries();
    const direct = new MatchIndexBuilder();
    for (let i = 0; i < 100_000; i++) {
      const lo = Math.imul(i, 0x9e3779b1) >>> 0;
      const hi = Math.imul(i % 5000, 0x85ebca6b) >>> 0; // repeats: ambiguous entries too
      entries.add(lo, hi, i % 7000);
      direct.add(lo, hi, i % 7000);
    }
    expect(Buffer.from(encodeIndex(entries)).equals(encodeMatchTable(direct.build()))).toBe(true);
  });
});

describe('first-pass errors', () => {
  async function issueText(text: string): Promise<unknown> {
    const dir = await tempDir('scan-err');
    const registry = path.join(dir, 'registry.csv');
    await fsp.writeFile(registry, text);
    return issueRelease({
      vault: await initVault(path.join(dir, 'vault')),
      registry,
      recipients: PARTIES.slice(0, 3),
      release: 'E1',
      outDir: path.join(dir, 'copies'),
    }).then(
      () => null,
      (err) => err,
    );
  }

  it('name the first problem in the file: an empty key before a broken line, or in the row that breaks the order', async () => {
    const dir = await tempDir('scan-src');
    const file = path.join(dir, 'registry.csv');
    await synthRegistry(file, 3000, 'errors');
    const lines = (await fsp.readFile(file, 'utf8')).split('\n');
    const empty = (line: string) => line.split(',').map((v, i) => (i === col('ELECTOR') ? '' : v)).join(',');

    const a = lines.slice();
    a[1500] = empty(a[1500]);
    a[2500] = a[2500] + ',"unclosed';
    expect(await issueText(a.join('\n'))).toMatchObject({ code: 'REGISTRY_BAD_KEY', line: 1501 });

    const b = lines.slice();
    b[2500] = b[2500] + ',"unclosed';
    expect(await issueText(b.join('\n'))).toMatchObject({ code: 'CSV_QUOTE_NOT_CLOSED', line: 2501 });

    // A row of the first group again, after the second began: out of order; with an empty key,
    // the key is what is named (the row's key is checked before its group).
    const group = (line: string) => [col('ENTIDAD'), col('SECCION')].map((i) => line.split(',')[i]).join('|');
    let second = 2;
    while (group(lines[second]) === group(lines[1])) second++;
    const c = lines.slice(0, second + 10);
    c.push(empty(lines[1]));
    expect(await issueText(c.join('\n') + '\n')).toMatchObject({ code: 'REGISTRY_BAD_KEY', line: second + 11 });
    c[second + 10] = lines[1];
    expect(await issueText(c.join('\n') + '\n')).toMatchObject({ code: 'REGISTRY_UNSORTED', line: second + 11 });
  });
});
