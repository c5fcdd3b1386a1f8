import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { parse } from 'csv-parse/sync';
import { issueFixture, PARTIES, tempDir, type Issued } from '../e2e/fixture.js';
import { issueRelease } from '../../src/watermark/issue.js';
import { initVault } from '../../src/vault/vault.js';
import { readLedger } from '../../src/vault/ledger.js';
import { verifyDocument } from '../../src/vault/documents.js';
import { RollmarkError } from '../../src/errors.js';
import { matchValue } from '../../src/code/match-index.js';
import { resolveSchema } from '../../src/schema/schema.js';
import { MX_INE_SCHEMA } from '../../src/presets/mx-ine/schema.js';
import { MX_INE_COLUMNS } from '../../src/presets/mx-ine/columns.js';
import { rowProblems } from '../synth/validator.js';

const schema = resolveSchema(MX_INE_SCHEMA, [...MX_INE_COLUMNS]);
/** Columns that carry facts: a copy writes them byte for byte as the registry has them. */
const FACTS = ['CONSECUTIVO', 'ELECTOR', 'FOL_NAC', 'OCR', 'FNAC', 'EDAD', 'SEXO', 'CURP', 'CODPOSTAL', 'ENTIDAD', 'DISTRITO', 'MUNICIPIO', 'SECCION', 'LOCALIDAD', 'MANZANA', 'EMISIONCRE'];

let fx: Issued;
let registry: string[][];
const copies = new Map<string, string[][]>();

beforeAll(async () => {
  fx = await issueFixture(20_000, { recipients: 4, seed: 'issue-tests' });
  registry = parse(await fsp.readFile(fx.registry)) as string[][];
  for (const p of PARTIES.slice(0, 4)) copies.set(p.id, parse(await fsp.readFile(fx.copy(p.id))) as string[][]);
});
afterAll(async () => {
  if (fx) await fsp.rm(fx.dir, { recursive: true, force: true });
});

describe('issued copies', () => {
  it('hold every registry row: facts byte-equal, other cells equivalent under the families', () => {
    const header = registry[0];
    const byKey = new Map(registry.slice(1).map((r) => [r[1], r]));
    for (const [id, copy] of copies) {
      expect(copy[0]).toEqual(header);
      let real = 0;
      const problems: string[] = [];
      const isFact = header.map((h) => FACTS.includes(h));
      const robust = header.map((_, c) => schema.marks.find((m) => m.column === c)?.robust ?? null);
      for (const row of copy.slice(1)) {
        const reg = byKey.get(row[1]);
        if (!reg) continue;
        real++;
        for (let c = 0; c < header.length; c++) {
          if (row[c] === reg[c]) continue;
          if (isFact[c] || matchValue(row[c], robust[c]) !== matchValue(reg[c], robust[c])) {
            problems.push(`${id} ${header[c]}: '${row[c]}' for '${reg[c]}'`);
          }
        }
      }
      expect(problems.slice(0, 5)).toEqual([]);
      expect(real).toBe(registry.length - 1);
    }
  });

  it('differ between recipients in many cells', () => {
    const a = copies.get('P1')!;
    const bByKey = new Map(copies.get('P2')!.map((r) => [r[1], r]));
    let differing = 0;
    for (const row of a.slice(1)) {
      const other = bByKey.get(row[1]);
      if (other) for (let c = 0; c < row.length; c++) if (row[c] !== other[c]) differing++;
    }
    expect(differing).toBeGreaterThan(registry.length * 0.5);
  });

  it('carry canaries that pass every row rule, collide with no real key and sit in their section', () => {
    const keys = new Set(registry.slice(1).map((r) => r[1]));
    const curps = new Set(registry.slice(1).map((r) => r[10]));
    let canaries = 0;
    for (const [, copy] of copies) {
      for (let i = 1; i < copy.length; i++) {
        const row = copy[i];
        // Fragile marks (NFD Ñ, a doubled space) are the copy's; the rules are about content.
        const plain = row.map((v) => v.normalize('NFC').replace(/ {2,}/g, ' '));
        expect(rowProblems(plain), row.join(',')).toEqual([]);
        if (keys.has(row[1])) continue;
        canaries++;
        expect(curps.has(row[10])).toBe(false);
        const prev = copy[i - 1];
        const next = copy[i + 1] ?? prev;
        expect([prev[18] + prev[22], next[18] + next[22]]).toContain(row[18] + row[22]);
      }
    }
    expect(canaries).toBe(fx.result.copies.reduce((a, c) => a + c.canaries, 0));
    expect(canaries).toBeGreaterThan(0);
  });

  it('come with signed receipts and one signed ledger entry each', async () => {
    const entries = await readLedger(fx.vault.ledgerPath, fx.vault.publicKey);
    expect(entries.filter((e) => e.type === 'copy')).toHaveLength(4);
    for (const c of fx.result.copies) {
      const receipt = JSON.parse(await fsp.readFile(c.receipt, 'utf8'));
      expect(verifyDocument(receipt, fx.vault.publicKey)).toBe(true);
      expect(receipt.sha256).toBe(c.sha256);
      expect(receipt.rows).toBe(copies.get(c.recipient)!.length - 1);
    }
  });

  it('are byte-identical when the same release is issued again from the same vault and inputs', async () => {
    // A second vault folder with the same secrets: same keys, a fresh ledger.
    const dir = await tempDir('again');
    const vaultDir = path.join(dir, 'vault');
    await fsp.cp(fx.vault.dir, vaultDir, { recursive: true });
    await fsp.writeFile(path.join(vaultDir, 'ledger.jsonl'), '');
    await fsp.rm(path.join(vaultDir, 'releases'), { recursive: true });
    await fsp.mkdir(path.join(vaultDir, 'releases'), { mode: 0o700 });
    const again = await issueRelease({
      vault: vaultDir,
      registry: fx.registry,
      recipients: PARTIES.slice(0, 4),
      release: 'LN-TEST-01',
      outDir: path.join(dir, 'copies'),
    });
    expect(again.copies.map((c) => c.sha256)).toEqual(fx.result.copies.map((c) => c.sha256));
    await fsp.rm(dir, { recursive: true, force: true });
  });

  it('refuse a reused release id', async () => {
    await expect(
      issueRelease({ vault: fx.vault, registry: fx.registry, recipients: PARTIES.slice(0, 2), release: 'LN-TEST-01', outDir: path.join(fx.dir, 'again') }),
    ).rejects.toMatchObject({ code: 'RELEASE_REUSED' });
  });
});

describe('bad registries', () => {
  async function tryIssue(content: string) {
    const dir = await tempDir('bad');
    const vault = await initVault(path.join(dir, 'vault'));
    const registry = path.join(dir, 'registry.csv');
    await fsp.writeFile(registry, content);
    const out = path.join(dir, 'copies');
    let error: unknown;
    try {
      await issueRelease({ vault, registry, recipients: PARTIES.slice(0, 2), release: 'R1', outDir: out });
    } catch (err) {
      error = err;
    }
    const left = fs.existsSync(out) ? await fsp.readdir(out) : [];
    const ledger = await fsp.readFile(vault.ledgerPath, 'utf8');
    await fsp.rm(dir, { recursive: true, force: true });
    return { error: error as RollmarkError, left, ledger };
  }

  it('stop at an unclosed quote naming the line, leaving no copy and the ledger unchanged', async () => {
    const good = (await fsp.readFile(fx.registry, 'utf8')).split('\n').slice(0, 200);
    good[120] = good[120].replace(',', ',"');
    const { error, left, ledger } = await tryIssue(good.join('\n') + '\n');
    expect(error).toBeInstanceOf(RollmarkError);
    expect(error.code).toMatch(/^CSV_/);
    expect(error.line).toBe(121);
    expect(left).toEqual([]);
    expect(ledger).toBe('');
  });

  it('stop at a row with the wrong number of fields', async () => {
    const good = (await fsp.readFile(fx.registry, 'utf8')).split('\n').slice(0, 200);
    good[57] = good[57] + ',EXTRA';
    const { error, left } = await tryIssue(good.join('\n') + '\n');
    expect(error.code).toBe('CSV_COLUMN_COUNT');
    expect(error.line).toBe(58);
    expect(error.format()).toMatch(/registry\.csv:58: expected 27 fields like the header, got 28 \[CSV_COLUMN_COUNT\]/);
    expect(left).toEqual([]);
  });

  it('refuse a registry that is not mx-ine without a schema', async () => {
    const { error } = await tryIssue('id,name\n1,A\n');
    expect(error.code).toBe('CSV_MISSING_COLUMN');
    expect(error.message).toMatch(/--schema/);
  });
});
