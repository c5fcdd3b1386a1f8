import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { issueFixture, PARTIES, type Issued } from './fixture.js';
import { traceDump } from '../../src/attribution/trace.js';
import { applyAttacks, type AttackSpec } from '../../src/lab/simulate.js';
import { readTable, writeTable } from '../../src/lab/table-files.js';
import type { Table } from '../../src/lab/table.js';

/**
 * The central property: whatever a leaker (or a coalition) does to the data, no recipient outside
 * the leakers is ever implicated. Attacks are drawn by fast-check and composed; the bound used
 * here is the default 1e-9, and a property failure would be a false accusation.
 */
const RECIPIENTS = 6;
let fx: Issued;
let copies: Table[];

beforeAll(async () => {
  fx = await issueFixture(12_000, { recipients: RECIPIENTS, seed: 'innocence', states: ['09', '31'] });
  copies = [];
  for (const p of PARTIES.slice(0, RECIPIENTS)) copies.push(await readTable(fx.copy(p.id)));
});
afterAll(async () => {
  if (fx) await fsp.rm(fx.dir, { recursive: true, force: true });
});

const KEY_COLUMNS = ['ELECTOR', 'CURP', 'OCR', 'FOL_NAC'];
const OTHER_COLUMNS = ['CONSECUTIVO', 'EDAD', 'OCUPACION', 'CALLE', 'NUM_EXT', 'COLONIA', 'CODPOSTAL', 'SECCION', 'MANZANA'];

const attackArb = fc.record({
  leakers: fc.uniqueArray(fc.integer({ min: 0, max: RECIPIENTS - 1 }), { minLength: 1, maxLength: 4 }),
  strategy: fc.constantFrom('majority', 'minority', 'random', 'intersection') as fc.Arbitrary<'majority' | 'minority' | 'random' | 'intersection'>,
  fraction: fc.constantFrom(0.005, 0.02, 0.1, 0.5, 1),
  dropKeys: fc.boolean(),
  dropOthers: fc.subarray(OTHER_COLUMNS),
  normalize: fc.subarray(['upper', 'accents', 'whitespace', 'nfc', 'dots'] as const),
  collapse: fc.constantFrom(null, 'long', 'short') as fc.Arbitrary<null | 'long' | 'short'>,
  edit: fc.constantFrom(0, 0.01, 0.2),
  foreign: fc.constantFrom(0, 50, 500),
  shuffle: fc.boolean(),
  duplicate: fc.constantFrom(0, 0.3),
  // The evidence budget: every record, or a keyed share of them.
  budget: fc.constantFrom(Infinity, Infinity, 300, 2000),
  // Shards: read whole, or cut among workers that take back what earlier shards hold.
  workers: fc.constantFrom(1, 1, 2, 3),
});

function specs(a: fc.Arbitrary<unknown> extends never ? never : any): AttackSpec[] {
  const out: AttackSpec[] = [];
  if (a.leakers.length > 1) out.push({ kind: 'collude', strategy: a.strategy });
  if (a.fraction < 1) out.push({ kind: 'sample', fraction: a.fraction });
  const drop = [...(a.dropKeys ? KEY_COLUMNS : []), ...a.dropOthers];
  if (drop.length > 0) out.push({ kind: 'drop', columns: drop });
  if (a.normalize.length > 0) out.push({ kind: 'normalize', steps: a.normalize });
  if (a.collapse) out.push({ kind: 'collapse', to: a.collapse });
  if (a.edit > 0) out.push({ kind: 'edit', rate: a.edit });
  if (a.foreign > 0) out.push({ kind: 'foreign', rows: a.foreign });
  if (a.duplicate > 0) out.push({ kind: 'duplicate', fraction: a.duplicate });
  if (a.shuffle) out.push({ kind: 'shuffle-rows' }, { kind: 'shuffle-columns' });
  return out;
}

describe('no innocent recipient is ever implicated', () => {
  it('holds for random attacks and coalitions', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(attackArb, async (a) => {
        const leak = await applyAttacks(
          a.leakers.map((i: number) => copies[i]),
          specs(a),
          `innocence-${run}`,
        );
        const file = path.join(fx.dir, `leak-${run++}.csv`);
        await writeTable(leak, file, { delimiter: a.shuffle ? '\t' : ',' });
        const report = await traceDump({ vault: fx.vault, dump: file, evidenceBudget: a.budget, workers: a.workers });
        const guilty = new Set(a.leakers.map((i: number) => PARTIES[i].id));
        for (const s of report.suspects) {
          if (s.implicated) expect(guilty.has(s.recipient), `${s.recipient} implicated (p ${s.pValue}) by ${JSON.stringify(specs(a))}, budget ${a.budget}, workers ${a.workers}`).toBe(true);
        }
      }),
      { numRuns: 40, seed: 20261122 },
    );
  });
});
