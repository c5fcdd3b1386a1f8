import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findCut, lineAtOffset, planShards, type ByteRange } from '../../src/csv/shards.js';
import { recordFields, scanFile } from '../../src/csv/scanner.js';
import { scanChunks } from './support.js';

const dir = mkdtempSync(path.join(tmpdir(), 'rollmark-shards-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
function fileWith(content: Buffer | string): string {
  const f = path.join(dir, `f${fileNo++}.csv`);
  writeFileSync(f, content);
  return f;
}

/** Scans every shard on its own (as a worker would) and checks they rebuild the whole scan. */
async function checkShards(f: string, content: Buffer, ranges: ByteRange[]) {
  expect(ranges[0].start).toBe(0);
  expect(ranges[ranges.length - 1].end).toBe(content.length);
  for (let i = 1; i < ranges.length; i++) {
    expect(ranges[i].start).toBe(ranges[i - 1].end);
    expect(ranges[i].start).toBeGreaterThan(ranges[i - 1].start);
  }
  const whole = scanChunks(content).records.map((r) => ({ fields: r.fields, offset: r.offset }));
  const sharded: { fields: string[]; offset: number }[] = [];
  for (const rg of ranges) {
    await scanFile(f, (r) => sharded.push({ fields: recordFields(r), offset: r.offset }), {
      start: rg.start,
      end: rg.end,
      highWaterMark: 97,
    });
  }
  expect(sharded).toEqual(whole);
  // every cut is a record start
  const starts = new Set(whole.map((r) => r.offset));
  for (const rg of ranges.slice(1)) expect(starts.has(rg.start)).toBe(true);
}

describe('planShards', () => {
  it('splits a plain file into n record-aligned ranges', async () => {
    const content = Buffer.from('\uFEFFid,name\n' + Array.from({ length: 2000 }, (_, i) => `${i},NAME ${i}`).join('\n') + '\n');
    const f = fileWith(content);
    for (const n of [1, 2, 3, 7, 16]) {
      const ranges = await planShards(f, n, { maxRecordBytes: 256 });
      expect(ranges.length).toBe(n);
      await checkShards(f, content, ranges);
    }
  });

  it('handles tiny and empty files', async () => {
    expect(await planShards(fileWith(''), 4)).toEqual([{ start: 0, end: 0 }]);
    const one = Buffer.from('a,b\n');
    const f = fileWith(one);
    const ranges = await planShards(f, 8);
    await checkShards(f, one, ranges);
  });

  it('never cuts inside a quoted newline placed at the cut points', async () => {
    // Quoted fields full of newlines straddle every target offset.
    const rows: string[] = ['id,note'];
    for (let i = 0; i < 400; i++) {
      rows.push(i % 3 === 0 ? `${i},"line one\nline two\n""quoted"", more\nend"` : `${i},plain ${i}`);
    }
    const content = Buffer.from(rows.join('\r\n') + '\r\n');
    const f = fileWith(content);
    for (const n of [2, 5, 9, 33]) {
      const ranges = await planShards(f, n, { maxRecordBytes: 512 });
      expect(ranges.length).toBeGreaterThan(1);
      await checkShards(f, content, ranges);
    }
  });

  it('fuzz: any well-formed file and shard count', async () => {
    const field = fc
      .array(fc.constantFrom('a', 'b', ',', '"', '\n', '\r\n', ' '), { maxLength: 6 })
      .map((ps) => ps.join(''))
      .map((v) => (/[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v));
    const file = fc.array(fc.array(field, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 60 });
    await fc.assert(
      fc.asyncProperty(file, fc.integer({ min: 2, max: 12 }), fc.integer({ min: 8, max: 64 }), async (recs, n, maxRecord) => {
        const content = Buffer.from(recs.map((r) => r.join(',')).join('\n') + '\n');
        // the bound must hold for the proof to apply
        const longest = Math.max(...recs.map((r) => Buffer.byteLength(r.join(',')) + 1));
        const f = fileWith(content);
        const ranges = await planShards(f, n, { maxRecordBytes: Math.max(maxRecord, longest) });
        await checkShards(f, content, ranges);
      }),
      { numRuns: 150 },
    );
  });

  it('drops a cut it cannot prove (fewer shards, never a wrong one)', async () => {
    // Only quote runs with structural bytes on both sides, and quotes closer together than the
    // record bound: nothing tells inside from outside.
    const content = Buffer.from(Array.from({ length: 300 }, () => '"",","\n"').join('\n') + '\n');
    const f = fileWith(content);
    const ranges = await planShards(f, 4, { maxRecordBytes: 1024 });
    expect(ranges).toEqual([{ start: 0, end: content.length }]);
    await checkShards(f, content, ranges);
  });

  it('findCut: the rules one by one', () => {
    const w = (s: string) => Buffer.from(s);
    const cut = (s: string, target = 1, maxRecord = 1000) => findCut(w(s), 0, target, s.length, 0, 44, maxRecord);
    // `h"`: a quote after content closes a field, so the target (in "cd ef") is inside
    const s1 = '1,"ab\ncd ef\ngh"\n2,x\n';
    expect(cut(s1, s1.indexOf('cd'))).toBe('1,"ab\ncd ef\ngh"\n'.length);
    const s2 = 'a\nb\n"cd\ne"\nf\n';
    expect(cut(s2, s2.indexOf('cd'))).toBe('a\nb\n"cd\ne"\n'.length);
    // `"c`: a quote before content opens a field, so the LF just before it is outside
    expect(cut(s2, 1)).toBe(2);
    expect(cut(s2, 3)).toBe(4);
    // quote-free and reaching the end of the file: outside
    expect(cut('abc\ndef\n', 1)).toBe(4);
    // quote-free but shorter than the bound and not at the end: unknown
    expect(findCut(w('abc\ndef\n'), 0, 1, 10_000, 0, 44, 1000)).toBe(-1);
    // quote-free for longer than the bound: outside
    expect(findCut(w('abc\ndef\n'), 0, 1, 10_000, 0, 44, 4)).toBe(4);
  });

  it('lineAtOffset counts physical lines', async () => {
    const f = fileWith('a\nb\n"c\nd"\ne\n');
    expect(await lineAtOffset(f, 0)).toBe(1);
    expect(await lineAtOffset(f, 4)).toBe(3);
    expect(await lineAtOffset(f, 11)).toBe(5);
  });
});
