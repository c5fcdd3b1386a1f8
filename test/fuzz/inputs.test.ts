/**
 * Fuzzing `rollmark issue`'s inputs through the CLI's `main`: malformed registries (mx-ine and a
 * schema'd one), schema files and recipients files. Whatever the bytes, the CLI exits 0, 1 or 2
 * and on failure prints one `rollmark: ... [CODE]` line and nothing on stdout (see harness.ts).
 */
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, expectDiscipline, malformed, mutate, mutationArb, printCounts, runs, timeoutFor } from './harness.js';

let dir: string;
let vault: string;
let ledgerBytes: Buffer;
let registry: Buffer;
let recipients: Buffer;
let schemaRegistry: Buffer;
let schemaText: Buffer;
let n = 0;

const SCHEMA = {
  key: 'voter_id',
  unique: ['registration_no'],
  match: [['first_name', 'last_name', 'birth_date']],
  group: 'precinct',
  marks: [
    { column: 'street', families: ['us-street'] },
    { column: 'city', families: ['whitespace'] },
  ],
  families: { 'us-street': [['street', 'st'], ['avenue', 'ave'], ['north', 'n']] },
  canaries: { per: 50, blocks: [['first_name'], ['last_name'], ['house_no', 'street', 'city', 'precinct'], ['birth_date']] },
};

function genericRegistry(rows: number): string {
  const first = ['james', 'mary', 'john', 'linda', 'maría', 'josé'];
  const last = ['smith', 'garcia', 'núñez', 'brown', 'o"neil', 'lee'];
  const streets = ['oak street', 'maple ave', 'north elm st', 'lake avenue', 'pine  street'];
  const lines = ['voter_id,registration_no,first_name,last_name,birth_date,house_no,street,city,precinct'];
  for (let i = 0; i < rows; i++) {
    lines.push(
      [
        `V${String(1000 + i * 7).padStart(8, '0')}`,
        `R-${5000 + i * 13}`,
        first[i % first.length],
        last[(i * 5) % last.length].replace('"', '""').replace(/^(.*"".*)$/, '"$1"'),
        `19${50 + (i % 50)}-0${1 + (i % 9)}-1${i % 10}`,
        String(1 + ((i * 37) % 900)),
        streets[(i * 3) % streets.length],
        i % 2 ? 'salt lake city' : '"san jose, ca"',
        `P${String(Math.floor(i / 20)).padStart(2, '0')}`,
      ].join(','),
    );
  }
  return lines.join('\n') + '\n';
}

beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'rollmark-fuzz-in-'));
  vault = path.join(dir, 'vault');
  expect((await cli(['init', '--vault', vault])).code).toBe(0);
  const reg = path.join(dir, 'registry.csv');
  expect((await cli(['synth', '--rows', '40', '--out', reg, '--seed', 'fuzz'])).code).toBe(0);
  registry = await fsp.readFile(reg);
  recipients = Buffer.from('id,name\nPA,Partido Azul\nPV,"Partido Verde, A.C."\nmc_1,Movimiento\n');
  schemaRegistry = Buffer.from(genericRegistry(60));
  schemaText = Buffer.from(JSON.stringify(SCHEMA, null, 2));
  ledgerBytes = await fsp.readFile(path.join(vault, 'ledger.jsonl'));
  // The valid inputs pass: the fuzz starts from something that works.
  for (const [label, files] of [
    ['mx-ine', { registry, recipients }],
    ['schema', { registry: schemaRegistry, recipients, schema: schemaText }],
  ] as const) {
    const r = await issue(files);
    expect(r.code, `${label}: ${r.stderr}`).toBe(0);
  }
});

afterAll(async () => {
  printCounts('inputs');
  if (dir) await fsp.rm(dir, { recursive: true, force: true });
});

/** One `rollmark issue` on these bytes; the vault is put back as it was afterwards. */
async function issue(files: { registry: Buffer; recipients: Buffer; schema?: Buffer }) {
  const i = ++n;
  const release = `FZ-${i}`;
  const reg = path.join(dir, `r${i}.csv`);
  const rec = path.join(dir, `p${i}.csv`);
  const sch = path.join(dir, `s${i}.json`);
  const out = path.join(dir, `out${i}`);
  await fsp.writeFile(reg, files.registry);
  await fsp.writeFile(rec, files.recipients);
  const argv = ['issue', '--vault', vault, '--registry', reg, '--recipients', rec, '--release', release, '--out', out, '--quiet'];
  if (files.schema) {
    await fsp.writeFile(sch, files.schema);
    argv.push('--schema', sch);
  }
  try {
    return await cli(argv);
  } finally {
    // Keep the ledger short and the vault clean: every case starts from the same vault.
    if (!fs.readFileSync(path.join(vault, 'ledger.jsonl')).equals(ledgerBytes)) fs.writeFileSync(path.join(vault, 'ledger.jsonl'), ledgerBytes);
    await Promise.all([reg, rec, sch, out, path.join(vault, 'releases', release)].map((p) => fsp.rm(p, { recursive: true, force: true })));
  }
}

/** Structural damage to a JSON document: a value replaced, a key removed or added. */
function jsonDamage(doc: unknown): fc.Arbitrary<unknown> {
  const paths: (string | number)[][] = [];
  const walk = (v: unknown, p: (string | number)[]) => {
    paths.push(p);
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...p, i]));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...p, k]);
  };
  walk(doc, []);
  const odd = fc.oneof(
    fc.jsonValue({ maxDepth: 2 }),
    fc.constantFrom('', 'nope', -1, 0, 1e308, null, [], {}, [[]], ['voter_id'], 'voter_id+precinct', 'no_such_column', '__proto__'),
  );
  return fc.tuple(fc.constantFrom(...paths), fc.constantFrom('set', 'delete', 'add'), odd, fc.string({ maxLength: 8 })).map(([p, op, value, key]) => {
    const copy = JSON.parse(JSON.stringify(doc));
    if (p.length === 0) return op === 'set' ? value : copy;
    const parent = p.slice(0, -1).reduce((o: any, k) => o[k], copy);
    const last = p[p.length - 1];
    if (op === 'set') parent[last] = value;
    else if (op === 'delete') {
      if (Array.isArray(parent)) parent.splice(last as number, 1);
      else delete parent[last];
    } else if (parent && typeof parent === 'object' && !Array.isArray(parent)) parent[key] = value;
    else if (Array.isArray(parent)) parent.push(value);
    return copy;
  });
}

describe('fuzz: issue never crashes on malformed input', () => {
  it(
    'malformed mx-ine registries',
    async () => {
      await fc.assert(
        fc.asyncProperty(malformed(registry), async (bytes) => {
          expectDiscipline('registry (mx-ine)', await issue({ registry: bytes, recipients }));
        }),
        { numRuns: runs(60) },
      );
    },
    timeoutFor(60, 60),
  );

  it(
    "malformed registries under a schema",
    async () => {
      await fc.assert(
        fc.asyncProperty(malformed(schemaRegistry), async (bytes) => {
          expectDiscipline('registry (schema)', await issue({ registry: bytes, recipients, schema: schemaText }));
        }),
        { numRuns: runs(40) },
      );
    },
    timeoutFor(40, 60),
  );

  it(
    'malformed schema files',
    async () => {
      const schemaArb = fc.oneof(
        { weight: 3, arbitrary: jsonDamage(SCHEMA).map((v) => Buffer.from(JSON.stringify(v) ?? 'undefined')) },
        { weight: 2, arbitrary: malformed(schemaText, 4) },
        { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => Buffer.from(JSON.stringify(v))) },
      );
      await fc.assert(
        fc.asyncProperty(schemaArb, async (bytes) => {
          expectDiscipline('schema file', await issue({ registry: schemaRegistry, recipients, schema: bytes }));
        }),
        { numRuns: runs(60) },
      );
    },
    timeoutFor(60, 60),
  );

  it(
    'malformed recipients files',
    async () => {
      const recipientsArb = fc.oneof(
        { weight: 4, arbitrary: malformed(recipients) },
        {
          weight: 1,
          arbitrary: fc
            .array(fc.tuple(fc.string({ maxLength: 40 }), fc.string({ maxLength: 10 })), { maxLength: 5 })
            .map((rows) => Buffer.from(['id,name', ...rows.map(([a, b]) => `${a},${b}`)].join('\n'))),
        },
      );
      await fc.assert(
        fc.asyncProperty(recipientsArb, async (bytes) => {
          expectDiscipline('recipients file', await issue({ registry, recipients: bytes }));
        }),
        { numRuns: runs(50) },
      );
    },
    timeoutFor(50, 60),
  );

  it('mutations are what they say (the harness itself)', () => {
    const base = Buffer.from('a,b\nc,d\n');
    expect(mutate(base, { kind: 'truncate', at: 3 }).toString()).toBe('a,b');
    expect(mutate(base, { kind: 'dropField', line: 1, field: 0 }).toString()).toBe('a,b\nd\n');
    expect(mutate(base, { kind: 'swapLines', a: 0, b: 1 }).toString()).toBe('c,d\na,b\n');
    fc.assert(fc.property(mutationArb, (m) => Buffer.isBuffer(mutate(base, m))));
  });
});
