/**
 * Collusion: several recipients combine their issued copies into one leak (majority, minority,
 * random or intersection), as the threat model lists it (DESIGN.md, "Threat model").
 */
import type { Rng } from './rng.js';
import { columnIndex, invalid, type Table } from './table.js';

export type CollusionStrategy = 'majority' | 'minority' | 'random' | 'intersection';
export const COLLUSION_STRATEGIES: readonly CollusionStrategy[] = ['majority', 'minority', 'random', 'intersection'];

/**
 * Several recipients combine their copies into one leak. Rows are aligned by `keyColumn` (issued
 * copies hold the same registry rows under the same key; canary rows appear in one copy only);
 * columns are aligned by name to the first copy's header. Then, row by row:
 *
 * - which rows are kept, among those only some copies hold (canaries):
 *   - `majority`: rows held by at least half of the copies;
 *   - `minority`: every row any copy holds (the leaker who maximises disagreement does not
 *     bother to filter rows);
 *   - `random`: a row held by m of k copies is kept with probability m/k, as if one copy had been
 *     picked for that row;
 *   - `intersection`: only rows held by every copy; this removes every canary not shared by all.
 * - the value of each cell, among the copies that hold the row, where they differ:
 *   - `majority`: the most common value, ties broken at random;
 *   - `minority`: the least common value, ties broken at random;
 *   - `random` and `intersection`: a random copy's value ("take either version wherever they
 *     differ"), drawn per cell.
 *
 * The output keeps the first copy's row order, with rows of the other copies placed after the row
 * that precedes them in their own copy. Repeated keys inside one copy are told apart by their
 * occurrence number.
 */
export function collude(tables: readonly Table[], strategy: CollusionStrategy, rng: Rng, keyColumn: string): Table {
  if (tables.length === 0) throw invalid('collusion needs at least one copy');
  if (!COLLUSION_STRATEGIES.includes(strategy)) {
    throw invalid(`unknown collusion strategy '${strategy}' (known: ${COLLUSION_STRATEGIES.join(', ')})`);
  }
  const header = tables[0].header;
  const k = tables.length;
  const indexes = tables.map((t, j) => {
    const perm = header.map((name) => {
      const i = t.header.indexOf(name);
      if (i === -1) throw invalid(`copy ${j + 1} has no column '${name}', which copy 1 has`);
      return i;
    });
    const key = columnIndex(t, keyColumn);
    const byKey = new Map<string, string[]>();
    const keys: string[] = [];
    const occurrences = new Map<string, number>();
    for (const r of t.rows) {
      const n = occurrences.get(r[key]) ?? 0;
      occurrences.set(r[key], n + 1);
      const id = n === 0 ? r[key] : `${r[key]}\u0000${n}`;
      keys.push(id);
      byKey.set(id, perm.every((p, i) => p === i) ? r : perm.map((p) => r[p]));
    }
    return { keys, byKey };
  });

  // Union order: the first copy's, with other copies' extra rows after their predecessor.
  const START = '\u0000start';
  const placed = new Set(indexes[0].keys);
  const after = new Map<string, string[]>();
  for (let j = 1; j < k; j++) {
    let prev = START;
    for (const id of indexes[j].keys) {
      if (!placed.has(id)) {
        placed.add(id);
        const list = after.get(prev);
        if (list) list.push(id);
        else after.set(prev, [id]);
      }
      prev = id;
    }
  }
  const order: string[] = [];
  const stack: string[] = [];
  const visit = (root: string) => {
    stack.push(root);
    while (stack.length > 0) {
      const id = stack.pop() as string;
      if (id !== START) order.push(id);
      const extra = after.get(id);
      if (extra) for (let i = extra.length - 1; i >= 0; i--) stack.push(extra[i]);
    }
  };
  visit(START);
  for (const id of indexes[0].keys) visit(id);

  const rows: string[][] = [];
  for (const id of order) {
    const present: string[][] = [];
    for (const ix of indexes) {
      const r = ix.byKey.get(id);
      if (r) present.push(r);
    }
    const m = present.length;
    const keep =
      strategy === 'intersection' ? m === k
      : strategy === 'majority' ? 2 * m >= k
      : strategy === 'minority' ? true
      : m === k || rng.chance(m / k);
    if (!keep) continue;
    if (m === 1) {
      rows.push(present[0].slice());
      continue;
    }
    const row = new Array<string>(header.length);
    for (let c = 0; c < header.length; c++) {
      const first = present[0][c];
      let same = true;
      for (let j = 1; j < m && same; j++) same = present[j][c] === first;
      if (same) {
        row[c] = first;
      } else if (strategy === 'random' || strategy === 'intersection') {
        row[c] = present[rng.int(m)][c];
      } else {
        row[c] = chooseByCount(present.map((r) => r[c]), strategy === 'majority', rng);
      }
    }
    rows.push(row);
  }
  return { header: header.slice(), rows };
}

/** The most (or least) common of `values`, ties broken at random. */
function chooseByCount(values: string[], most: boolean, rng: Rng): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: string[] = [];
  let bestCount = most ? -1 : Infinity;
  for (const [v, n] of counts) {
    if (most ? n > bestCount : n < bestCount) {
      best = [v];
      bestCount = n;
    } else if (n === bestCount) {
      best.push(v);
    }
  }
  return best.length === 1 ? best[0] : rng.pick(best);
}
