import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { parse } from 'csv-parse/sync';
import { tempDir } from '../e2e/fixture.js';
import { initVault, type Vault } from '../../src/vault/vault.js';
import { issueRelease } from '../../src/watermark/issue.js';
import { traceDump } from '../../src/attribution/trace.js';
import { parseSchema, resolveSchema } from '../../src/schema/schema.js';
import { applyAttacks, readTable, writeTable } from '../../src/index.js';
import { RollmarkError } from '../../src/errors.js';

/** A registry that is not mx-ine: the contract's own schema example, on a US-style voter file. */
const SCHEMA = {
  key: 'voter_id',
  unique: ['registration_no'],
  match: [['first_name', 'last_name', 'birth_date']],
  group: 'precinct',
  marks: [
    { column: 'street', families: ['us-street'] },
    { column: 'city', families: ['whitespace'] },
  ],
  families: {
    'us-street': [
      ['street', 'st'],
      ['avenue', 'ave'],
      ['boulevard', 'blvd'],
      ['north', 'n'],
    ],
  },
  canaries: { per: 500, blocks: [['first_name'], ['last_name'], ['house_no', 'street', 'city', 'zip', 'precinct'], ['birth_date']] },
};

const FIRST = ['james', 'mary', 'john', 'patricia', 'robert', 'jennifer', 'michael', 'linda', 'william', 'elizabeth', 'david', 'susan'];
const LAST = ['smith', 'johnson', 'williams', 'brown', 'jones', 'garcia', 'miller', 'davis', 'rodriguez', 'martinez', 'wilson', 'anderson'];
const STREETS = ['oak', 'maple', 'cedar', 'pine', 'elm', 'washington', 'lake', 'hill'];
const TYPES = ['street', 'st', 'avenue', 'ave', 'boulevard', 'blvd'];
const CITIES = ['new york', 'los angeles', 'san jose', 'salt lake city'];

function registryCsv(rows: number): string {
  let seed = 12345;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const lines = ['voter_id,registration_no,first_name,last_name,birth_date,house_no,street,city,zip,precinct'];
  for (let i = 0; i < rows; i++) {
    const precinct = `P${String(Math.floor(i / 400)).padStart(3, '0')}`;
    const dir = rnd(4) === 0 ? 'north ' : '';
    lines.push(
      [
        `V${String(100000 + i * 7).padStart(8, '0')}`,
        `R-${String(5000000 + i * 13)}`,
        FIRST[rnd(FIRST.length)],
        LAST[rnd(LAST.length)],
        `19${50 + rnd(50)}-${String(1 + rnd(12)).padStart(2, '0')}-${String(1 + rnd(28)).padStart(2, '0')}`,
        String(1 + rnd(9000)),
        `${dir}${STREETS[rnd(STREETS.length)]} ${TYPES[rnd(TYPES.length)]}`,
        CITIES[rnd(CITIES.length)],
        String(10000 + rnd(80000)),
        precinct,
      ].join(','),
    );
  }
  return lines.join('\n') + '\n';
}

let dir: string;
let vault: Vault;
let registry: string;
const schema = parseSchema(JSON.stringify(SCHEMA));

beforeAll(async () => {
  dir = await tempDir('schema');
  vault = await initVault(path.join(dir, 'vault'));
  registry = path.join(dir, 'voters.csv');
  await fsp.writeFile(registry, registryCsv(6000));
});
afterAll(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

describe('a registry described by a schema file', () => {
  it('is issued with canaries in the key format and traced without the key', async () => {
    const recipients = ['dem', 'rep', 'lib', 'grn'].map((id) => ({ id, name: id.toUpperCase() }));
    const result = await issueRelease({ vault, registry, recipients, release: 'US-1', outDir: path.join(dir, 'copies'), schema });
    expect(result.canaries).toBeGreaterThanOrEqual(15);
    const reg = parse(await fsp.readFile(registry)) as string[][];
    const keys = new Set(reg.slice(1).map((r) => r[0]));
    const copy = parse(await fsp.readFile(path.join(dir, 'copies', 'rep.csv'))) as string[][];
    const canaries = copy.slice(1).filter((r) => !keys.has(r[0]));
    expect(canaries.length).toBe(result.copies[1].canaries);
    for (const c of canaries) {
      expect(c[0]).toMatch(/^V\d{8}$/);
      expect(c[1]).toMatch(/^R-\d{7}$/);
    }
    const table = await readTable(path.join(dir, 'copies', 'rep.csv'));
    const leak = await applyAttacks([table], [{ kind: 'sample', fraction: 0.1 }, { kind: 'drop', columns: ['voter_id', 'registration_no'] }], 'us');
    const file = path.join(dir, 'leak.csv');
    await writeTable(leak, file);
    const report = await traceDump({ vault, dump: file });
    expect(report.suspects.filter((s) => s.implicated).map((s) => s.recipient)).toEqual(['rep']);
  });

  it('is refused when it names a column the registry lacks, or an unknown family', () => {
    const header = ['voter_id', 'registration_no', 'first_name', 'last_name', 'birth_date', 'house_no', 'street', 'city', 'zip', 'precinct'];
    expect(() => resolveSchema({ ...schema, key: 'nope' }, header, 'voters.csv')).toThrow(/no column 'nope'/);
    expect(() => resolveSchema({ ...schema, marks: [{ column: 'street', families: ['klingon'] }] }, header)).toThrow(/unknown family 'klingon'/);
    expect(() => parseSchema('{"key": 1}', 's.json')).toThrow(RollmarkError);
    expect(() => parseSchema('{nope', 's.json')).toThrow(/not valid JSON/);
  });
});
