/**
 * Tampering with what the issuer signed: ledger entries (edited, re-signed by another key,
 * reordered, deleted, duplicated, truncated, re-formatted), receipts and trace reports (a value
 * edited, a suspect reordered or removed, a field added, a signature moved). `rollmark verify`
 * (the built CLI) names each: exit 1, one line naming the file (and, for a ledger, the line of
 * the first bad entry) and the code.
 */
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT, expectOneLineFailure, rollmark } from './support.js';

let dir: string;
let vault: string;
let pub: string;
let ledgerText: string;
let receipts: Record<string, string>;
let reportText: string;
let otherVault: string;
let n = 0;

beforeAll(async () => {
  if (!BUILT) return;
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'rollmark-fault-tamper-'));
  vault = path.join(dir, 'vault');
  otherVault = path.join(dir, 'other-vault');
  const ok = (args: string[]) => {
    const r = rollmark(args);
    expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  };
  ok(['init', '--vault', vault]);
  ok(['init', '--vault', otherVault]);
  const reg = path.join(dir, 'registry.csv');
  ok(['synth', '--rows', '3000', '--out', reg, '--seed', 'tamper']);
  const rec = path.join(dir, 'recipients.csv');
  await fsp.writeFile(rec, 'id,name\nPA,Partido Azul\nPV,Partido Verde\nPR,Partido Rojo\n');
  ok(['issue', '--vault', vault, '--registry', reg, '--recipients', rec, '--release', 'T-1', '--out', path.join(dir, 'c1'), '--quiet']);
  ok(['issue', '--vault', vault, '--registry', reg, '--recipients', rec, '--release', 'T-2', '--out', path.join(dir, 'c2'), '--quiet']);
  const leak = path.join(dir, 'leak.csv');
  ok(['simulate', '--copies', path.join(dir, 'c2', 'PV.csv'), '--attacks', 'sample:0.2', '--seed', 't', '--out', leak]);
  const report = path.join(dir, 'report.json');
  ok(['trace', '--vault', vault, '--dump', leak, '--report', report, '--quiet']);
  pub = path.join(vault, 'issuer.pub');
  ledgerText = await fsp.readFile(path.join(vault, 'ledger.jsonl'), 'utf8');
  receipts = {
    PA: await fsp.readFile(path.join(dir, 'c1', 'PA.receipt.json'), 'utf8'),
    PV: await fsp.readFile(path.join(dir, 'c1', 'PV.receipt.json'), 'utf8'),
  };
  reportText = await fsp.readFile(report, 'utf8');
});

afterAll(async () => {
  if (dir) await fsp.rm(dir, { recursive: true, force: true });
});

async function write(text: string, ext: string): Promise<string> {
  const f = path.join(dir, `tampered-${++n}${ext}`);
  await fsp.writeFile(f, text);
  return f;
}

const lines = () => ledgerText.split('\n').slice(0, -1);
const joinLines = (ls: string[]) => ls.map((l) => l + '\n').join('');

describe.skipIf(!BUILT)('rollmark verify names every tampering', () => {
  it('the untouched ledger, receipts and report verify', async () => {
    expect(lines()).toHaveLength(8); // 2 releases x (1 release entry + 3 copies)
    for (const args of [
      ['--ledger', await write(ledgerText, '.jsonl')],
      ['--receipt', await write(receipts.PA, '.json')],
      ['--report', await write(reportText, '.json')],
    ]) {
      const r = rollmark(['verify', '--public-key', pub, ...args]);
      expect(r.code, r.stderr).toBe(0);
    }
  });

  describe('ledger', () => {
    const cases: [string, () => string, string, number][] = [
      [
        'a copy entry edited (rows)',
        () => joinLines(lines().map((l, i) => (i === 2 ? l.replace(/"rows":(\d+)/, (_, x) => `"rows":${Number(x) + 1}`) : l))),
        'LEDGER_BAD_SIGNATURE',
        3,
      ],
      [
        'a signature edited',
        () => joinLines(lines().map((l, i) => (i === 1 ? l.replace(/"sig":"(.)/, (_, c) => `"sig":"${c === '0' ? '1' : '0'}`) : l))),
        'LEDGER_BAD_SIGNATURE',
        2,
      ],
      ['two entries swapped', () => joinLines([lines()[0], lines()[2], lines()[1], ...lines().slice(3)]), 'LEDGER_BROKEN_CHAIN', 2],
      ['an entry deleted', () => joinLines(lines().filter((_, i) => i !== 4)), 'LEDGER_BROKEN_CHAIN', 5],
      ['an entry duplicated', () => joinLines([...lines().slice(0, 4), lines()[3], ...lines().slice(4)]), 'LEDGER_BROKEN_CHAIN', 5],
      ['an entry inserted from another ledger position', () => joinLines([...lines().slice(0, 6), lines()[1], ...lines().slice(6)]), 'LEDGER_BROKEN_CHAIN', 7],
      ['the last line cut short', () => ledgerText.slice(0, ledgerText.length - 40), 'LEDGER_BAD_JSON', 8],
      ['an entry re-formatted (valid JSON, same content)', () => joinLines(lines().map((l, i) => (i === 5 ? JSON.stringify(JSON.parse(l), null, 1).replace(/\n/g, ' ') : l))), 'LEDGER_BAD_ENTRY', 6],
      ['an entry with an unknown field', () => joinLines(lines().map((l, i) => (i === 6 ? l.replace(/^\{/, '{"note":"x",') : l))), 'LEDGER_BAD_ENTRY', 7],
      ['a blank line inserted', () => joinLines([...lines().slice(0, 3), '', ...lines().slice(3)]), 'LEDGER_BAD_JSON', 4],
    ];
    it.each(cases)('%s -> %s on its line', async (_, make, code, line) => {
      const f = await write(make(), '.jsonl');
      const msg = expectOneLineFailure(rollmark(['verify', '--public-key', pub, '--ledger', f]), code);
      expect(msg.startsWith(`rollmark: ${f}:${line}: `), msg).toBe(true);
    });

    it("the vault's own ledger, tampered, is named by verify --vault and refused by trace", async () => {
      const own = path.join(vault, 'ledger.jsonl');
      await fsp.writeFile(own, joinLines(lines().map((l, i) => (i === 3 ? l.replace(/"name":"Partido Rojo"/, '"name":"Partido Rosa"') : l))));
      try {
        const v = expectOneLineFailure(rollmark(['verify', '--vault', vault]), 'LEDGER_BAD_SIGNATURE');
        expect(v).toContain(`${own}:4:`);
        const t = expectOneLineFailure(rollmark(['trace', '--vault', vault, '--dump', path.join(dir, 'leak.csv')]), 'LEDGER_BAD_SIGNATURE');
        expect(t).toContain(`${own}:4:`);
      } finally {
        await fsp.writeFile(own, ledgerText);
      }
    });

    it('entries signed by another key are refused', async () => {
      // A whole valid ledger from another vault, verified against this issuer's key.
      const ro = path.join(dir, 'r-other.csv');
      await fsp.writeFile(ro, 'id,name\nPA,Partido Azul\n');
      const reg = path.join(dir, 'registry.csv');
      expect(rollmark(['issue', '--vault', otherVault, '--registry', reg, '--recipients', ro, '--release', 'T-1', '--out', path.join(dir, 'c-other'), '--quiet']).code).toBe(0);
      const forged = await fsp.readFile(path.join(otherVault, 'ledger.jsonl'), 'utf8');
      const msg = expectOneLineFailure(rollmark(['verify', '--public-key', pub, '--ledger', await write(forged, '.jsonl')]), 'LEDGER_BAD_SIGNATURE');
      expect(msg).toMatch(/:1: /);
    });

    it('LIMITATION: dropping entries from the end leaves a valid, shorter chain; only the head hash changes', async () => {
      const full = rollmark(['verify', '--public-key', pub, '--ledger', await write(ledgerText, '.jsonl')]);
      const cut = rollmark(['verify', '--public-key', pub, '--ledger', await write(joinLines(lines().slice(0, 4)), '.jsonl')]);
      expect(cut.code).toBe(0);
      const head = (s: string) => /head sha256 ([0-9a-f]{64})/.exec(s)?.[1];
      expect(head(cut.stderr)).toBeDefined();
      expect(head(cut.stderr)).not.toBe(head(full.stderr));
    });
  });

  describe('receipts', () => {
    const edit = (text: string, fn: (o: Record<string, any>) => void, pretty = true) => {
      const o = JSON.parse(text);
      fn(o);
      return JSON.stringify(o, null, pretty ? 2 : 0);
    };
    const cases: [string, () => string][] = [
      ['rows edited', () => edit(receipts.PA, (o) => (o.rows += 1))],
      ['sha256 edited', () => edit(receipts.PA, (o) => (o.sha256 = o.sha256.replace(/^./, (c: string) => (c === 'a' ? 'b' : 'a'))))],
      ['recipient changed', () => edit(receipts.PA, (o) => (o.recipient = 'PV'))],
      ['a field added', () => edit(receipts.PA, (o) => (o.note = 'approved'))],
      ['a field deleted', () => edit(receipts.PA, (o) => delete o.time)],
      ['signature removed', () => edit(receipts.PA, (o) => delete o.signature)],
      ["another receipt's signature", () => edit(receipts.PA, (o) => (o.signature = JSON.parse(receipts.PV).signature))],
      ['not JSON any more (cut short)', () => receipts.PA.slice(0, 60)],
    ];
    it.each(cases)('%s -> RECEIPT_INVALID', async (_, make) => {
      const f = await write(make(), '.json');
      const msg = expectOneLineFailure(rollmark(['verify', '--public-key', pub, '--receipt', f]), 'RECEIPT_INVALID');
      expect(msg).toContain(f);
    });
    it('re-formatted (compact, same values) still verifies: the signature covers the canonical form', async () => {
      const f = await write(edit(receipts.PA, () => undefined, false), '.json');
      expect(rollmark(['verify', '--public-key', pub, '--receipt', f]).code).toBe(0);
    });
  });

  describe('reports', () => {
    const edit = (fn: (o: Record<string, any>) => void) => {
      const o = JSON.parse(reportText);
      fn(o);
      return JSON.stringify(o, null, 2);
    };
    const cases: [string, () => string][] = [
      ['the verdict changed', () => edit((o) => (o.verdict = o.verdict === 'attributed' ? 'inconclusive' : 'attributed'))],
      ["a suspect's p-value changed", () => edit((o) => (o.suspects[1].pValue = 1e-12))],
      ["a suspect's implicated flag flipped", () => edit((o) => (o.suspects[1].implicated = !o.suspects[1].implicated))],
      ['the suspects reordered', () => edit((o) => o.suspects.reverse())],
      ['a suspect deleted', () => edit((o) => o.suspects.splice(0, 1))],
      ['the dump hash changed', () => edit((o) => (o.dump.sha256 = '0'.repeat(64)))],
      ['a field added', () => edit((o) => (o.reviewedBy = 'someone'))],
      ['the bound relaxed', () => edit((o) => (o.falseAccusationBound = 0.05))],
      ['the signature from another document', () => edit((o) => (o.signature = JSON.parse(receipts.PA).signature))],
    ];
    it.each(cases)('%s -> REPORT_INVALID', async (_, make) => {
      const f = await write(make(), '.json');
      const msg = expectOneLineFailure(rollmark(['verify', '--public-key', pub, '--report', f]), 'REPORT_INVALID');
      expect(msg).toContain(f);
    });
    // Receipts and reports are signed with the same key: the signature alone would let either
    // pass as the other, so verify checks the document's kind too (receipt: type 'receipt';
    // report: version, tool 'rollmark', verdict, suspects, dump).
    it('a receipt passed off as a report is refused', async () => {
      const f = await write(receipts.PA, '.json');
      const msg = expectOneLineFailure(rollmark(['verify', '--public-key', pub, '--report', f]), 'REPORT_INVALID');
      expect(msg).toBe(`rollmark: ${f}: is a receipt, not a trace report [REPORT_INVALID]`);
    });
    it('a report passed off as a receipt is refused', async () => {
      const f = await write(reportText, '.json');
      const msg = expectOneLineFailure(rollmark(['verify', '--public-key', pub, '--receipt', f]), 'RECEIPT_INVALID');
      expect(msg).toBe(`rollmark: ${f}: is a trace report, not a receipt [RECEIPT_INVALID]`);
    });
  });

  it("a release's trace data edited in the vault is refused by trace (VAULT_CORRUPT)", async () => {
    const manifest = path.join(vault, 'releases', 'T-2', 'manifest.json');
    const original = await fsp.readFile(manifest, 'utf8');
    await fsp.writeFile(manifest, original.replace(/"cutoff":([0-9.]+)/, '"cutoff":0.3'));
    try {
      expect(fs.readFileSync(manifest, 'utf8')).not.toBe(original);
      const msg = expectOneLineFailure(rollmark(['trace', '--vault', vault, '--dump', path.join(dir, 'leak.csv')]), 'VAULT_CORRUPT');
      expect(msg).toContain('T-2');
    } finally {
      await fsp.writeFile(manifest, original);
    }
  });
});
