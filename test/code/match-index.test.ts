import { describe, expect, it } from 'vitest';
import { AMBIGUOUS, Fingerprinter, MatchIndexBuilder, buildMatchTableFile, decodeMatchTable, encodeMatchTable } from '../../src/code/match-index.js';
import { IndexEntries } from '../../src/watermark/scan-batch.js';

const key = new Uint8Array(32).fill(7);

describe('matching index', () => {
  it('finds every entry, reports namesakes as ambiguous and misses absent fingerprints', () => {
    const fp = new Fingerprinter(key);
    const b = new MatchIndexBuilder(4);
    const n = 50_000;
    for (let i = 0; i < n; i++) {
      fp.compute(0, [`SURNAME${i}`, `NAME${i % 97}`, String(19500101 + i)]);
      b.add(fp.lo, fp.hi, i);
    }
    fp.compute(0, ['NAMESAKE', 'X', '19800101']);
    b.add(fp.lo, fp.hi, n);
    b.add(fp.lo, fp.hi, n + 1);
    const table = decodeMatchTable(encodeMatchTable(b.build()));
    expect(table.capacity * 6).toBeLessThanOrEqual((n + 2) * 7.6);
    let found = 0;
    for (let i = 0; i < n; i++) {
      fp.compute(0, [`SURNAME${i}`, `NAME${i % 97}`, String(19500101 + i)]);
      const id = table.lookup(fp.lo, fp.hi);
      if (id === i) found++;
      else expect(id).toBe(AMBIGUOUS); // a 16-bit tag clash in the same probe run
    }
    expect(found).toBeGreaterThan(n * 0.999);
    fp.compute(0, ['NAMESAKE', 'X', '19800101']);
    expect(table.lookup(fp.lo, fp.hi)).toBe(AMBIGUOUS);
    let falseHits = 0;
    for (let i = 0; i < 20_000; i++) {
      fp.compute(0, [`FOREIGN${i}`, 'Z', '20000101']);
      if (table.lookup(fp.lo, fp.hi) >= 0) falseHits++;
    }
    expect(falseHits).toBeLessThan(20);
  });

  it('builds the file in place byte for byte as the builder does, namesakes and tag clashes included', () => {
    const fp = new Fingerprinter(key);
    const b = new MatchIndexBuilder(4);
    const e = new IndexEntries();
    // Entries arrive by reserve and growth alike: reserve less than needed, then grow past it.
    e.reserve(5_000);
    for (let i = 0; i < 30_000; i++) {
      fp.compute(1, [`S${i % 20_000}`, 'N', String(19600101 + (i % 20_000))]);
      b.add(fp.lo, fp.hi, i);
      e.add(fp.lo, fp.hi, i);
    }
    expect(e.size).toBe(30_000);
    const inPlace = buildMatchTableFile(e.lo, e.hi, e.id, e.size);
    expect(Buffer.compare(inPlace, encodeMatchTable(b.build()))).toBe(0);
    // The 10,000 fingerprints given twice (to two ids) are ambiguous.
    fp.compute(1, ['S5', 'N', '19600106']);
    expect(decodeMatchTable(inPlace).lookup(fp.lo, fp.hi)).toBe(AMBIGUOUS);
  });

  it('fingerprints differ by match set and refuse empty values', () => {
    const fp = new Fingerprinter(key);
    expect(fp.compute(0, ['A'])).toBe(true);
    const a = [fp.lo, fp.hi];
    fp.compute(1, ['A']);
    expect([fp.lo, fp.hi]).not.toEqual(a);
    expect(fp.compute(0, ['A', ''])).toBe(false);
  });
});
