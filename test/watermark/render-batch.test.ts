import { describe, expect, it } from 'vitest';
import { canonicalKey, CodeBook, RecordIds } from '../../src/code/codebook.js';
import { classTable } from '../../src/code/marks.js';
import { releaseKeys } from '../../src/code/release.js';
import { CsvScanner, recordFields, type ScannedRecord } from '../../src/csv/scanner.js';
import { csvField } from '../../src/csv/write.js';
import { MX_INE_COLUMNS } from '../../src/presets/mx-ine/columns.js';
import { MX_INE_SCHEMA } from '../../src/presets/mx-ine/schema.js';
import { resolveSchema } from '../../src/schema/schema.js';
import { BufferPool } from '../../src/watermark/buffer-pool.js';
import { ByteTable } from '../../src/watermark/byte-table.js';
import { GroupRows } from '../../src/watermark/group-rows.js';
import { RowMarker } from '../../src/watermark/mark-row.js';
import { BatchRenderer, type CacheLimits, type CanaryLines } from '../../src/watermark/render-batch.js';

const mxIne = resolveSchema(MX_INE_SCHEMA, [...MX_INE_COLUMNS]);
let schema = mxIne;
const keys = releaseKeys(new Uint8Array(32).fill(9), 'R-TEST');
const R = 7;
const col = (name: string) => MX_INE_COLUMNS.indexOf(name as (typeof MX_INE_COLUMNS)[number]);

/** Rows that take every path: plain, quoted (commas, doubled quotes), lower case, Ñ composed and
 *  decomposed, odd spaces, empty cells, long cells, keys that need canonicalising. */
function registryText(): string {
  const base = [
    '1', 'ABDMJN04042901M000', '1334403786', '0116412255588', 'ABREGO', 'DOMINGUEZ', 'JUANA', '20040429', '21', 'M',
    'AEDJ040429MASBMNA0', 'EMPLEADO', 'CALLE VENUSTIANO CARRANZA', '59', '', 'RESIDENCIAL EL PORVENIR', '20583', '1',
    '01', '01', '001', 'AGUASCALIENTES', '0116', '0136', '79', '2022', '2',
  ];
  const variants: Record<string, string[]> = {
    NOMBRE: ['MARIA GUADALUPE', 'MA. GUADALUPE', 'MA GPE.', 'ma. guadalupe', 'JOSE  LUIS', 'ÑANDU', 'N\u0303ANDU ÑOÑO', 'FRANCISCO', ''],
    APE_PAT: ['NUÑEZ', 'NUN\u0303EZ', 'MUÑOZ Y NUÑEZ', 'DE LA CRUZ', 'lopez', ''],
    APE_MAT: ['PEÑA', 'GARCIA', ' ORTIZ ', 'O"BRIEN'],
    CALLE: [
      'AV. 16 DE SEPTIEMBRE NTE', 'AVENIDA JUAREZ', 'C  LOS PINOS', 'CALLE, LA PAZ', 'PRIV "EL ROBLE"', 'PRIVADA\tIGNACIO',
      'av juarez pte.', 'CALLE\u00a0CAÑADA', 'CERRADA ' + 'X'.repeat(90), 'C', '',
    ],
    NUM_EXT: ['S/N', 'SN', 'SIN NUMERO', '123', 'MZ. 4 LT. 7', 'DEPTO 3', ''],
    NUM_INT: ['', 'A', 'EDIF. B DEPTO. 101', '4'],
    COLONIA: ['COL. CENTRO', 'COLONIA  CENTRO', 'FRACC. LAS ÁGUILAS', 'U.H. INFONAVIT', 'CENTRO', 'BARRIO DE SAN JUAN', 'CONJ. HAB. EL SOL', ''],
  };
  const keysToUse = ['ABDMJN04042901M000', ' abdmjn04042901m001 ', 'ÑBDMJN04042901M002', 'K'.repeat(70), '"QUOTED"KEY'];
  const lines: string[] = [MX_INE_COLUMNS.join(',')];
  let n = 0;
  for (const [name, values] of Object.entries(variants)) {
    for (const v of values) {
      for (const key of keysToUse) {
        const f = base.slice();
        f[col(name)] = v;
        f[col('ELECTOR')] = key;
        f[col('CONSECUTIVO')] = String(++n);
        lines.push(f.map((x) => csvField(x)).join(',') + (n % 5 === 0 ? '\r' : ''));
      }
    }
  }
  // A raw-quoted cell that needs no quoting, and a row spelled with every marked cell quoted.
  const f = base.slice();
  lines.push(f.map((x, i) => (i === col('NOMBRE') || i === col('CALLE') ? `"${x}"` : x)).join(','));
  lines.push(f.map((x, i) => (schema.marks.some((m) => m.column === i) ? `"${x}"` : x)).join(','));
  return lines.join('\n'); // the last row has no line end
}

interface Scanned {
  rows: GroupRows;
  records: string[][];
}

function scan(text: string): Scanned {
  const rows = new GroupRows(schema.columns.length);
  const records: string[][] = [];
  let header = true;
  const scanner = new CsvScanner({});
  const onRecord = (r: ScannedRecord) => {
    if (header) {
      header = false;
      return;
    }
    rows.add(r);
    records.push(recordFields(r));
  };
  // Small chunks: rows that cross chunk boundaries come from the scanner's carry buffer.
  const bytes = Buffer.from(text, 'utf8');
  for (let i = 0; i < bytes.length; i += 97) scanner.push(bytes.subarray(i, i + 97), onRecord);
  scanner.end(onRecord);
  return { rows, records };
}

/** What issue wrote before batches: RowMarker on decoded cells, changed cells re-encoded. */
function reference(text: string, inserts: CanaryLines[]): Buffer[] {
  const classes = classTable(schema.marks);
  const marker = new RowMarker(schema.marks, classes, new CodeBook(keys.code, R, 0.02));
  const ids = new RecordIds(keys.record);
  const variants = Array.from({ length: R }, () => new Array<string>(schema.marks.length));
  const cells = new Array<string>(schema.marks.length);
  const marked = [...schema.marks].sort((a, b) => a.column - b.column);
  const out: Buffer[][] = Array.from({ length: R }, () => []);
  const { rows } = scan(text);
  const src = rows.bytes;
  let next = 0;
  for (let i = 0; i <= rows.count; i++) {
    for (; next < inserts.length && inserts[next].at === i; next++) {
      inserts[next].lines.forEach((l, j) => l !== null && out[j].push(Buffer.from(l)));
    }
    if (i === rows.count) break;
    for (const mc of schema.marks) cells[mc.ordinal] = rows.cell(i, mc.column);
    marker.mark(ids.compute(canonicalKey(rows.cell(i, schema.key))), cells, variants);
    for (let j = 0; j < R; j++) {
      let at = rows.rowBegin(i);
      for (const mc of marked) {
        if (variants[j][mc.ordinal] === cells[mc.ordinal]) continue;
        out[j].push(src.subarray(at, rows.cellStart(i, mc.column)), Buffer.from(csvField(variants[j][mc.ordinal])));
        at = rows.cellEnd(i, mc.column);
      }
      out[j].push(src.subarray(at, rows.lineEnd(i)));
    }
  }
  return out.map((parts) => Buffer.concat(parts));
}

function rendered(text: string, inserts: CanaryLines[], limits: Partial<CacheLimits>, batchRows: number): Buffer[] {
  const classes = classTable(schema.marks);
  const renderer = new BatchRenderer(schema.marks, classes, new CodeBook(keys.code, R, 0.02), new RecordIds(keys.record), limits);
  const { rows } = scan(text);
  const columns = Int32Array.from([schema.key, ...schema.marks.map((m) => m.column)]);
  const pool = new BufferPool();
  const out: Buffer[][] = Array.from({ length: R }, () => []);
  for (let first = 0, seq = 0; first < rows.count; first += batchRows, seq++) {
    const end = Math.min(rows.count, first + batchRows);
    const mine = inserts
      .filter((x) => (x.at >= first && x.at < end) || (end === rows.count && x.at === end))
      .map((x) => ({ at: x.at - first, lines: x.lines }));
    const b = renderer.render(rows.batch(seq, first, end, columns, mine, pool), new ArrayBuffer(16));
    let at = 0;
    for (let j = 0; j < R; j++) {
      out[j].push(Buffer.from(b.data.subarray(at, b.ends[j])));
      at = b.ends[j];
    }
  }
  return out.map((parts) => Buffer.concat(parts));
}

describe('batch renderer', () => {
  const text = registryText();
  const count = scan(text).records.length;
  const line = (k: number) => (j: number) => (j % 2 === k % 2 ? `CANARY ${k} FOR ${j},"a ""b"", c"\n` : null);
  const inserts: CanaryLines[] = [0, 0, 7, 8, 8, count - 1, count, count].map((at, k) => ({
    at,
    lines: Array.from({ length: R }, (_, j) => line(k)(j)),
  }));
  const expected = reference(text, inserts);

  it('writes what marking decoded rows and re-encoding their changed cells wrote', () => {
    expect(count).toBeGreaterThan(200);
    const got = rendered(text, inserts, {}, 1000);
    for (let j = 0; j < R; j++) expect(got[j].equals(expected[j])).toBe(true);
    // The rows differ between recipients: the marks are there.
    expect(expected[0].equals(expected[1])).toBe(false);
  });

  it('writes the same bytes in small batches and with a cache that keeps emptying and growing', () => {
    for (const [limits, batchRows] of [
      [{}, 7],
      [{ entries: 3, keyBytes: 16, positionSlots: 4, variantSlots: 8, variantBytes: 16 }, 13],
      [{ entries: 1, keyBytes: 1, positionSlots: 1, variantSlots: 1, variantBytes: 1 }, 1],
    ] as [Partial<CacheLimits>, number][]) {
      const got = rendered(text, inserts, limits, batchRows);
      for (let j = 0; j < R; j++) expect(got[j].equals(expected[j])).toBe(true);
    }
  });
});

describe('batch renderer, any schema', () => {
  it('writes the same bytes for columns marked by spacing alone and by families with and without digits', () => {
    const columns = ['id', 'g', 'name', 'street', 'num', 'unit'];
    schema = resolveSchema(
      {
        key: 'id',
        group: 'g',
        marks: [
          { column: 'name', families: ['whitespace'] },
          { column: 'street', families: ['streets', 'whitespace', 'composition'] },
          { column: 'num', families: ['numbers'] },
          { column: 'unit', families: ['units', 'composition'] },
        ],
        families: { streets: [['STREET', 'ST'], ['AVENUE', 'AVE']], numbers: [['ONE', '1'], ['TWO', '2']], units: [['APARTMENT', 'APT']] },
      },
      columns,
    );
    try {
      const values = {
        name: ['ANN', 'ANN LEE', 'ANN  LEE', ' ANN', 'ANN\tLEE', 'ÁNN LEE', 'ANN\u00a0LEE', ''],
        street: ['MAIN STREET', 'MAIN ST', 'ST JAMES', 'AVENUE A', 'PEÑA ST', 'ELM', '12', ''],
        num: ['1', '2', '12', 'ONE', 'TWO', '3', ''],
        unit: ['APT 4', '4', '44', 'APARTMENT 4', 'Ñ', ''],
      };
      const lines = [columns.join(',')];
      let n = 0;
      for (const [c, vs] of Object.entries(values)) {
        for (const v of vs) {
          const f = [`K${++n}`, 'G1', 'ANN LEE', 'MAIN STREET', '1', 'APT 4'];
          f[columns.indexOf(c)] = v;
          lines.push(f.map((x) => csvField(x)).join(','));
        }
      }
      const text = lines.join('\n') + '\n';
      const expected = reference(text, []);
      for (const [limits, batchRows] of [
        [{}, 100],
        [{ entries: 2, keyBytes: 4, positionSlots: 2, variantSlots: 2, variantBytes: 4 }, 3],
      ] as [Partial<CacheLimits>, number][]) {
        const got = rendered(text, [], limits, batchRows);
        for (let j = 0; j < R; j++) expect(got[j].equals(expected[j])).toBe(true);
      }
    } finally {
      schema = mxIne;
    }
  });
});

describe('byte table', () => {
  it('finds what was added, by tag and bytes, and nothing else', () => {
    const t = new ByteTable(1000, 4);
    const words = ['', 'A', 'AB', 'ABC', 'CALLE LOS PINOS', 'CALLE LOS PINAS', 'X'.repeat(40), 'X'.repeat(39) + 'Y', 'ÑO'];
    const buf = Buffer.from(words.join(''));
    const spans: [number, number][] = [];
    let at = 0;
    for (const w of words) {
      const n = Buffer.byteLength(w);
      spans.push([at, at + n]);
      at += n;
    }
    const entry = new Map<string, number>();
    for (const tag of [0, 1]) {
      spans.forEach(([s, e], i) => {
        expect(t.find(tag, buf, s, e)).toBe(-1);
        entry.set(`${tag}:${i}`, t.add(tag, buf, s, e));
      });
    }
    expect(t.size).toBe(2 * words.length);
    for (const tag of [0, 1]) {
      spans.forEach(([s, e], i) => {
        const x = t.find(tag, buf, s, e);
        expect(x).toBe(entry.get(`${tag}:${i}`));
        expect(Buffer.from(t.keys.subarray(t.keyStart(x), t.keyStart(x) + t.keyLength(x))).equals(buf.subarray(s, e))).toBe(true);
      });
    }
    expect(t.find(2, buf, spans[1][0], spans[1][1])).toBe(-1);
    t.clear();
    expect(t.size).toBe(0);
    expect(t.find(0, buf, spans[4][0], spans[4][1])).toBe(-1);
  });
});
