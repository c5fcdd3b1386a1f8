import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../../src/cli/commands/simulate.js';
import { RollmarkError } from '../../src/errors.js';
import { readTable, writeTable } from '../../src/lab/table-files.js';
import type { Table } from '../../src/lab/table.js';
import {
  applyAttacks,
  checkAttacks,
  formatAttacks,
  parseAttacks,
  simulateLeak,
  type AttackSpec,
} from '../../src/lab/simulate.js';

let dir: string | undefined;
async function file(name: string): Promise<string> {
  dir ??= await fs.mkdtemp(path.join(os.tmpdir(), 'rollmark-sim-'));
  return path.join(dir, name);
}
afterAll(async () => {
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

const HEADER = ['ELECTOR', 'NOMBRE', 'APE_PAT', 'CALLE', 'COLONIA', 'ENTIDAD', 'SECCION', 'CURP'];

/** Three "issued copies": the same 60 people, marked differently, each with a canary of its own. */
function copies(): Table[] {
  return [0, 1, 2].map((j) => {
    const rows = Array.from({ length: 60 }, (_, i) => [
      `EL${String(i).padStart(4, '0')}`,
      (i + j) % 3 === 0 ? 'MA. JOSÉ' : 'MARIA JOSÉ',
      'PEÑA',
      (i * (j + 1)) % 2 === 0 ? 'AV. REFORMA  NTE.' : 'AVENIDA REFORMA NORTE',
      'COL. CENTRO',
      i < 30 ? '09' : '15',
      String(100 + (i % 4)),
      `CURP${i}`,
    ]);
    rows.splice(10 + j, 0, [`CANARY${j}`, 'ANA', 'RUIZ', 'CALLE 5', 'COL. SUR', '09', '101', `CURPC${j}`]);
    return { header: HEADER, rows };
  });
}

async function writeCopies(): Promise<string[]> {
  const files: string[] = [];
  for (const [j, t] of copies().entries()) {
    const f = await file(`R${j}.csv`);
    await writeTable(t, f);
    files.push(f);
  }
  return files;
}

function attackError(fn: () => unknown): RollmarkError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RollmarkError);
    return err as RollmarkError;
  }
  throw new Error('expected an error');
}

describe('parseAttacks', () => {
  it('parses the compact syntax into specs', () => {
    expect(parseAttacks('sample:0.05,drop:ELECTOR+CURP,normalize:accents+whitespace,collude:majority')).toEqual([
      { kind: 'sample', fraction: 0.05 },
      { kind: 'drop', columns: ['ELECTOR', 'CURP'] },
      { kind: 'normalize', steps: ['accents', 'whitespace'] },
      { kind: 'collude', strategy: 'majority' },
    ]);
    expect(
      parseAttacks(
        ' sample:5% , random:10,first:3,where:ENTIDAD=09+15,keep:A+B,rename:ELECTOR=clave+CURP=curp,shuffle-rows,' +
          'shuffle-columns,dedupe,duplicate:0.1,edit:0.01:NOMBRE+CALLE,normalize:upper:NOMBRE,foreign:20,' +
          'foreign:other.csv:0.5,collapse:long,collapse:short:CALLE=mx-street-types+CALLE=mx-cardinal',
      ),
    ).toEqual([
      { kind: 'sample', fraction: 0.05 },
      { kind: 'random', n: 10 },
      { kind: 'first', n: 3 },
      { kind: 'where', column: 'ENTIDAD', values: ['09', '15'] },
      { kind: 'keep', columns: ['A', 'B'] },
      { kind: 'rename', map: { ELECTOR: 'clave', CURP: 'curp' } },
      { kind: 'shuffle-rows' },
      { kind: 'shuffle-columns' },
      { kind: 'dedupe' },
      { kind: 'duplicate', fraction: 0.1 },
      { kind: 'edit', rate: 0.01, columns: ['NOMBRE', 'CALLE'] },
      { kind: 'normalize', steps: ['upper'], columns: ['NOMBRE'] },
      { kind: 'foreign', rows: 20 },
      { kind: 'foreign', rows: 'other.csv', fraction: 0.5 },
      { kind: 'collapse', to: 'long' },
      {
        kind: 'collapse',
        to: 'short',
        groups: [
          { column: 'CALLE', family: 'mx-street-types' },
          { column: 'CALLE', family: 'mx-cardinal' },
        ],
      },
    ]);
    expect(parseAttacks('none')).toEqual([]);
    expect(parseAttacks('where:NOM%2CBRE=A%2BB,collude:random:CLAVE')).toEqual([
      { kind: 'where', column: 'NOM,BRE', values: ['A+B'] },
      { kind: 'collude', strategy: 'random', key: 'CLAVE' },
    ]);
  });

  it('formatAttacks gives back what parseAttacks reads', () => {
    const text =
      'collude:intersection,where:ENTIDAD=09,sample:0.5,drop:ELECTOR+CURP,rename:A%3DB=C,normalize:upper+dots,' +
      'collapse:long:CALLE=mx-street-types,edit:0.02:CALLE,foreign:7,duplicate:0.01,dedupe,shuffle-columns,first:9';
    expect(parseAttacks(formatAttacks(parseAttacks(text)))).toEqual(parseAttacks(text));
  });

  it('reports each mistake in one clear line naming the attack', () => {
    const cases: [string, RegExp][] = [
      ['', /no attacks given/],
      ['sample:0.05,,dedupe', /attack 2 is empty/],
      ['smaple:0.1', /attack 1 'smaple:0.1': unknown attack 'smaple' \(known: sample, /],
      ['sample:2', /attack 1 'sample:2': '2' is not a fraction between 0 and 1/],
      ['sample', /needs a fraction/],
      ['first:-3', /needs a whole number, got '-3'/],
      ['drop', /needs column names/],
      ['normalize:accents+title', /unknown step 'title' \(known: upper, lower, accents, whitespace, nfc, dots\)/],
      ['collapse:longest', /expected collapse:long or collapse:short/],
      ['collapse:long:CALLE=us-street', /unknown family 'us-street'/],
      ['collude:most', /expected collude:majority\|minority\|random\|intersection/],
      ['collude:majority,collude:random', /at most one collude attack/],
      ['dedupe:yes', /takes no arguments/],
      ['where:ENTIDAD', /expected where:COLUMN=VALUE/],
      ['rename:A', /expected OLD=NEW pairs/],
      ['sample:0.1:0.2', /too many ':' arguments/],
      ['where:A=%zz', /bad percent-encoding/],
    ];
    for (const [text, pattern] of cases) {
      const err = attackError(() => parseAttacks(text));
      expect(err.code).toBe('ATTACK_INVALID');
      expect(err.message).toMatch(pattern);
      expect(err.format()).not.toContain('\n');
    }
  });

  it('never throws anything but a one-line ATTACK_INVALID on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('sample', 'drop', ':', ',', '+', '=', '0.5', 'A', '%', ' ', 'x') }), (s) => {
        try {
          checkAttacks(parseAttacks(s));
        } catch (err) {
          expect(err).toBeInstanceOf(RollmarkError);
          expect((err as RollmarkError).code).toBe('ATTACK_INVALID');
          expect((err as RollmarkError).format()).not.toContain('\n');
        }
      }),
    );
  });

  it('checks specs that come as JSON', () => {
    expect(() => checkAttacks([{ kind: 'sample', fraction: 3 } as AttackSpec])).toThrow(/attack 1 \(sample\): fraction/);
    expect(() => checkAttacks([{ kind: 'explode' } as unknown as AttackSpec])).toThrow(/unknown kind/);
    expect(() => checkAttacks([{ kind: 'drop', columns: [] }])).toThrow(/non-empty list/);
  });
});

describe('applyAttacks', () => {
  it('is deterministic by seed and runs attacks in order', async () => {
    const attacks = parseAttacks('collude:majority,sample:0.5,shuffle-rows,edit:0.1,shuffle-columns');
    const a = await applyAttacks(copies(), attacks, 'seed-1');
    expect(await applyAttacks(copies(), attacks, 'seed-1')).toEqual(a);
    expect(await applyAttacks(copies(), attacks, 'seed-2')).not.toEqual(a);
    expect(a.rows).toHaveLength(30);
  });

  it('gives each attack its own random stream, so appending one changes nothing before it', async () => {
    const before = await applyAttacks(copies().slice(0, 1), parseAttacks('sample:0.5,shuffle-rows'), 's');
    const more = await applyAttacks(copies().slice(0, 1), parseAttacks('sample:0.5,shuffle-rows,drop:CURP'), 's');
    expect(more.rows).toEqual(before.rows.map((r) => r.slice(0, -1)));
  });

  it('collapses the mx-ine marked columns by default, whitespace and all when asked', async () => {
    const [one] = copies();
    const t = await applyAttacks([one], parseAttacks('collapse:long,normalize:whitespace'), 's');
    expect(new Set(t.rows.map((r) => r[3]))).toEqual(new Set(['AVENIDA REFORMA NORTE', 'CALLE 5']));
    expect(new Set(t.rows.map((r) => r[1]))).toEqual(new Set(['MARIA JOSÉ', 'ANA']));
    expect(new Set(t.rows.map((r) => r[4]))).toEqual(new Set(['COLONIA CENTRO', 'COLONIA SUR']));
  });

  it('intersection collusion removes every canary', async () => {
    const t = await applyAttacks(copies(), parseAttacks('collude:intersection'), 's');
    expect(t.rows).toHaveLength(60);
    expect(t.rows.some((r) => r[0].startsWith('CANARY'))).toBe(false);
  });

  it('names the attack that cannot be applied', async () => {
    await expect(applyAttacks(copies().slice(0, 1), parseAttacks('drop:CURP,keep:CURP'), 's')).rejects.toThrow(
      /attack 2 'keep:CURP': no column 'CURP'/,
    );
    await expect(applyAttacks(copies(), parseAttacks('sample:0.5'), 's')).rejects.toThrow(
      /3 copies given but no collude attack/,
    );
  });
});

describe('simulateLeak', () => {
  it('reads the copies, applies the attacks, writes the leak and describes it', async () => {
    const files = await writeCopies();
    const out = await file('leak.tsv.gz');
    const spec = 'where:ENTIDAD=09,collude:majority,drop:ELECTOR+CURP,normalize:accents+upper,foreign:5,shuffle-rows';
    const result = await simulateLeak({
      copies: files,
      attacks: parseAttacks(spec),
      seed: 'lab',
      out,
      format: { delimiter: '\t', encoding: 'latin1', gzip: true },
    });
    expect(result.file).toBe(out);
    expect(result.rows).toBe(30 + 5); // state 09 only, canaries held by one copy of three dropped, 5 foreign
    expect(result.description).toBe(
      `leak of R0.csv + R1.csv + R2.csv: ${spec} -> 35 rows x 6 columns (tsv, latin1, gzip) written to ${out}`,
    );
    const leak = await readTable(out, { encoding: 'latin1' });
    expect(leak.header).toEqual(['NOMBRE', 'APE_PAT', 'CALLE', 'COLONIA', 'ENTIDAD', 'SECCION']);
    expect(leak.rows).toHaveLength(35);
    expect(leak.rows.filter((r) => r[1] === 'PENA')).toHaveLength(leak.rows.length);

    const again = await file('again.tsv.gz');
    await simulateLeak({ copies: files, attacks: parseAttacks(spec), seed: 'lab', out: again, format: { delimiter: '\t', encoding: 'latin1', gzip: true } });
    expect(await fs.readFile(again)).toEqual(await fs.readFile(out));
  });

  it('mixes in rows of a foreign file, matched by header name', async () => {
    const [first] = await writeCopies();
    const foreign = await file('foreign.csv');
    await writeTable({ header: ['CURP', 'ELECTOR', 'X'], rows: [['F1', 'E1', 'x'], ['F2', 'E2', 'y']] }, foreign);
    const out = await file('mixed.csv');
    const r = await simulateLeak({ copies: [first], attacks: parseAttacks(`foreign:${foreign},keep:ELECTOR+CURP+NOMBRE`), seed: 'f', out });
    expect(r.rows).toBe(63);
    const t = await readTable(out);
    expect(t.rows.filter((x) => /^E\d$/.test(x[0]))).toEqual([
      ['E1', 'F1', ''],
      ['E2', 'F2', ''],
    ]);
  });
});

describe('rollmark simulate (command)', () => {
  function io() {
    const out = { stdout: '', stderr: '' };
    const sink = (k: 'stdout' | 'stderr') =>
      ({ write: (chunk: string | Uint8Array) => ((out[k] += String(chunk)), true) }) as unknown as NodeJS.WritableStream;
    return { out, io: { stdout: sink('stdout'), stderr: sink('stderr') } };
  }

  it('writes the leak, one line on stderr, nothing on stdout', async () => {
    const files = await writeCopies();
    const leak = await file('cli-leak.csv');
    const { out, io: streams } = io();
    const code = await run(
      ['--copies', files.join(','), '--attacks', 'collude:intersection,sample:0.5', '--seed', 'S', '--out', leak, '--tsv', '--latin1', '--gzip', '--no-header'],
      streams,
    );
    expect(code).toBe(0);
    expect(out.stdout).toBe('');
    expect(out.stderr.split('\n').filter(Boolean)).toEqual([
      `rollmark: leak of R0.csv + R1.csv + R2.csv: collude:intersection,sample:0.5 -> 30 rows x 8 columns (tsv, latin1, no header, gzip) written to ${leak}`,
    ]);
    const t = await readTable(leak, { header: false, encoding: 'latin1' });
    expect(t.rows).toHaveLength(30);
    expect(t.rows[0][0]).toMatch(/^EL\d{4}$/);
  });

  it('turns flag and attack mistakes into usage errors carrying the usage line', async () => {
    const { io: streams } = io();
    const cases: [string[], RegExp][] = [
      [['--attacks', 'dedupe', '--seed', 's', '--out', 'x'], /^missing --copies\nusage: rollmark simulate /],
      [['--copies', 'a.csv', '--attacks', 'smaple:1', '--seed', 's', '--out', 'x'], /^--attacks: attack 1 'smaple:1': unknown attack 'smaple'.*\nusage: /],
      [['--copies', 'a.csv,b.csv', '--attacks', 'dedupe', '--seed', 's', '--out', 'x'], /^2 copies need a collude attack/],
      [['--copies', 'a.csv,', '--attacks', 'dedupe', '--seed', 's', '--out', 'x'], /empty file name/],
      [['--copies', 'a.csv', '--attacks', 'dedupe', '--out', 'x'], /^missing --seed/],
      [['--copies', 'a.csv', '--attacks', 'dedupe', '--seed', 's', '--out', 'x', '--xml'], /Unknown option '--xml'/],
    ];
    for (const [argv, pattern] of cases) {
      const err = await run(argv, streams).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RollmarkError);
      expect((err as RollmarkError).code).toBe('USAGE');
      expect((err as RollmarkError).exitCode).toBe(2);
      expect((err as RollmarkError).message).toMatch(pattern);
      expect((err as RollmarkError).message.split('\n')).toHaveLength(2);
    }
  });

  it('fails with the file named when a copy is missing', async () => {
    const { io: streams } = io();
    const missing = await file('missing.csv');
    const err = await run(['--copies', missing, '--attacks', 'dedupe', '--seed', 's', '--out', await file('o.csv')], streams).catch(
      (e: unknown) => e,
    );
    expect((err as RollmarkError).code).toBe('FILE_NOT_FOUND');
    expect((err as RollmarkError).format()).toBe(`${missing}: no such file or folder [FILE_NOT_FOUND]`);
  });
});
