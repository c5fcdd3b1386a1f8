/**
 * Fuzzing what `verify`, `trace` and `simulate` read, through the CLI's `main`: ledgers (also as
 * the vault's own ledger under trace), receipts, reports, public keys, found dumps (plain and
 * gzip) and attack specs. Exit 0, 1 or 2; on failure one `rollmark: ... [CODE]` line and nothing
 * on stdout (see harness.ts).
 */
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, expectDiscipline, malformed, printCounts, runs, timeoutFor } from './harness.js';

let dir: string;
let vault: string;
let pubFile: string;
let ledgerFile: string;
let ledger: Buffer;
let receipt: Buffer;
let report: Buffer;
let pub: Buffer;
let leak: Buffer;
let copyFile: string;
let n = 0;

beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'rollmark-fuzz-doc-'));
  vault = path.join(dir, 'vault');
  const ok = async (argv: string[]) => {
    const r = await cli(argv);
    expect(r.code, `${argv.join(' ')}: ${r.stderr}`).toBe(0);
    return r;
  };
  await ok(['init', '--vault', vault]);
  const reg = path.join(dir, 'registry.csv');
  await ok(['synth', '--rows', '400', '--out', reg, '--seed', 'fuzz-docs']);
  const rec = path.join(dir, 'recipients.csv');
  await fsp.writeFile(rec, 'id,name\nPA,Partido Azul\nPV,Partido Verde\nPR,Partido Rojo\n');
  await ok(['issue', '--vault', vault, '--registry', reg, '--recipients', rec, '--release', 'FZ-DOCS', '--out', path.join(dir, 'copies'), '--quiet']);
  copyFile = path.join(dir, 'copies', 'PV.csv');
  const leakFile = path.join(dir, 'leak.csv');
  await ok(['simulate', '--copies', copyFile, '--attacks', 'random:80,drop:CURP,shuffle-columns', '--seed', 'f', '--out', leakFile]);
  const reportFile = path.join(dir, 'report.json');
  await ok(['trace', '--vault', vault, '--dump', leakFile, '--report', reportFile, '--quiet']);
  pubFile = path.join(vault, 'issuer.pub');
  ledgerFile = path.join(vault, 'ledger.jsonl');
  [ledger, receipt, report, pub, leak] = await Promise.all(
    [ledgerFile, path.join(dir, 'copies', 'PV.receipt.json'), reportFile, pubFile, leakFile].map((f) => fsp.readFile(f)),
  );
});

afterAll(async () => {
  printCounts('documents');
  if (dir) await fsp.rm(dir, { recursive: true, force: true });
});

async function withFile<T>(bytes: Buffer, fn: (file: string) => Promise<T>): Promise<T> {
  const file = path.join(dir, `case-${++n}`);
  await fsp.writeFile(file, bytes);
  try {
    return await fn(file);
  } finally {
    await fsp.rm(file, { force: true });
  }
}

/** JSON-level damage to a signed document: a field changed, removed or added, order kept. */
function jsonDamage(doc: Buffer): fc.Arbitrary<Buffer> {
  const obj = JSON.parse(doc.toString('utf8'));
  const keys = Object.keys(obj);
  return fc
    .tuple(fc.constantFrom(...keys), fc.constantFrom('set', 'delete', 'add'), fc.jsonValue({ maxDepth: 2 }), fc.string({ maxLength: 6 }))
    .map(([k, op, v, extra]) => {
      const copy = { ...obj };
      if (op === 'set') copy[k] = v;
      else if (op === 'delete') delete copy[k];
      else copy[extra || 'x'] = v;
      return Buffer.from(JSON.stringify(copy, null, 2));
    });
}

describe('fuzz: verify, trace and simulate never crash on malformed input', () => {
  it(
    'ledgers (verify --ledger)',
    async () => {
      await fc.assert(
        fc.asyncProperty(malformed(ledger), async (bytes) => {
          await withFile(bytes, async (f) => expectDiscipline('ledger (verify)', await cli(['verify', '--public-key', pubFile, '--ledger', f])));
        }),
        { numRuns: runs(80) },
      );
    },
    timeoutFor(80, 30),
  );

  it(
    "the vault's own ledger, damaged, under verify --vault and trace",
    async () => {
      await fc.assert(
        fc.asyncProperty(malformed(ledger), fc.boolean(), async (bytes, trace) => {
          await fsp.writeFile(ledgerFile, bytes);
          try {
            const argv = trace ? ['trace', '--vault', vault, '--dump', copyFile, '--quiet'] : ['verify', '--vault', vault];
            expectDiscipline(trace ? 'vault ledger (trace)' : 'vault ledger (verify)', await cli(argv));
          } finally {
            await fsp.writeFile(ledgerFile, ledger);
          }
        }),
        { numRuns: runs(40) },
      );
    },
    timeoutFor(40, 200),
  );

  it(
    'receipts and reports (verify --receipt / --report)',
    async () => {
      const kinds = fc.constantFrom('receipt' as const, 'report' as const);
      await fc.assert(
        fc.asyncProperty(
          kinds.chain((k) => fc.tuple(fc.constant(k), fc.oneof(malformed(k === 'receipt' ? receipt : report, 6), jsonDamage(k === 'receipt' ? receipt : report)))),
          async ([kind, bytes]) => {
            await withFile(bytes, async (f) => expectDiscipline(`${kind} (verify)`, await cli(['verify', '--public-key', pubFile, `--${kind}`, f])));
          },
        ),
        { numRuns: runs(80) },
      );
    },
    timeoutFor(80, 30),
  );

  it(
    'public key files',
    async () => {
      await fc.assert(
        fc.asyncProperty(malformed(pub, 3), async (bytes) => {
          await withFile(bytes, async (f) => expectDiscipline('public key', await cli(['verify', '--public-key', f, '--receipt', path.join(dir, 'copies', 'PV.receipt.json')])));
        }),
        { numRuns: runs(30) },
      );
    },
    timeoutFor(30, 30),
  );

  it(
    'found dumps, plain and gzip (trace)',
    async () => {
      const dumpArb = fc.oneof(
        { weight: 4, arbitrary: malformed(leak) },
        { weight: 1, arbitrary: malformed(leak).map((b) => gzipSync(b)) },
        {
          weight: 1,
          arbitrary: fc.tuple(malformed(leak), fc.nat()).map(([b, cut]) => {
            const z = gzipSync(b);
            return z.subarray(0, 2 + (cut % Math.max(1, z.length - 2))); // truncated gzip
          }),
        },
        { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.concat([Buffer.from([0x1f, 0x8b]), b])) },
      );
      await fc.assert(
        fc.asyncProperty(dumpArb, async (bytes) => {
          await withFile(bytes, async (f) => expectDiscipline('dump (trace)', await cli(['trace', '--vault', vault, '--dump', f, '--quiet'])));
        }),
        { numRuns: runs(60) },
      );
    },
    timeoutFor(60, 200),
  );

  it(
    'attack specs (simulate)',
    async () => {
      const token = fc.oneof(
        fc.constantFrom('sample', 'random', 'first', 'where', 'drop', 'keep', 'rename', 'shuffle-rows', 'normalize', 'collapse', 'edit', 'foreign', 'dedupe', 'duplicate', 'collude', 'none'),
        fc.constantFrom(':', ',', '+', '=', '%', '%2C', '%zz', '0.5', '5%', '-1', '1e-3', '2', 'ELECTOR', 'NOPE', 'long', 'short', 'upper', 'majority', 'mx-street-types', '/nonexistent.csv', ''),
        fc.string({ maxLength: 5 }),
      );
      const spec = fc.array(token, { minLength: 1, maxLength: 8 }).map((ts) => ts.join(''));
      await fc.assert(
        fc.asyncProperty(spec, async (attacks) => {
          const out = path.join(dir, `sim-${++n}.csv`);
          try {
            expectDiscipline('attack spec (simulate)', await cli(['simulate', '--copies', copyFile, '--attacks', attacks, '--seed', 's', '--out', out]), { usage: true });
          } finally {
            await fsp.rm(out, { force: true });
          }
        }),
        { numRuns: runs(80) },
      );
    },
    timeoutFor(80, 60),
  );
});
