#!/usr/bin/env node
/**
 * The leak lab's robustness table: how attribution holds up against each attack of the threat
 * model (DESIGN.md, "Threat model"), at several strengths, over many simulated leaks.
 *
 * One release is issued (a synthetic mx-ine registry, 7 recipients, through the built library in
 * dist/). Then, for every cell of the grid (attack x strength x number of leakers), each trial
 * picks its leaker(s) at random, makes the leak from their copies with the lab's own attacks
 * (`applyAttacks`, the same code as `rollmark simulate`), writes it as a leaker would and traces
 * it in-process with `traceDump`. Per cell it records:
 *
 *   - all:   share of trials in which every leaker is implicated at the 1e-9 bound;
 *   - any:   share in which at least one leaker is;
 *   - false: trials in which a recipient who did NOT leak is implicated (must be 0, always);
 *   - the median rows in the leak, the median log10 p-value of the best-placed leaker, and the
 *     strongest evidence ever seen against an innocent (how far from a false accusation we came).
 *
 * Control cells leak no recipient's copy at all (the unmarked registry, an unrelated registry):
 * any implicated recipient there is a false accusation too.
 *
 * Cost: small leaks are cheap (about 0.1 s to trace), so the grid is mostly small and medium
 * leaks with many trials, and large leaks with a few. The parsed copies stay in memory in each
 * worker (child processes, one per core by default); tasks are handed out one at a time, the
 * expensive ones first. Collusion trials first keep the same random share of record keys in every
 * colluding copy and then combine them: sampling by key commutes with combining copies aligned by
 * key, and it saves combining whole copies for a 300-row leak.
 *
 * Usage:
 *   npm run lab -- [--full | --quick | --trials N] [--rows N] [--workers N] [--seed S]
 *                  [--only REGEX] [--work DIR] [--out DIR] [--dist DIR]
 *     --full       the whole grid: 100 trials a light cell (about 12,000 leaks; 1-2 h on 2 cores)
 *     --quick      3 trials a cell on a 60,000-row registry: a few minutes
 *     --trials N   N trials a light cell (medium N/2.5, heavy N/7, deterministic leaks at most 7)
 *     --only RE    only the cells whose "family attack strength" matches RE
 *     --work DIR   keep the registry, vault and copies in DIR and reuse them on the next run
 *                  (when the same rows, seed and build made them)
 *     --dist DIR   the build to measure (default dist/; it is copied first, so a rebuild during
 *                  the run changes nothing)
 *   Writes bench/out/lab.md and bench/out/lab.json and prints the markdown table.
 */
import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const RELEASE = 'LAB-2026-01';
const BOUND = 1e-9;
const RECIPIENTS = [
  { id: 'PAN', name: 'Partido Azul' },
  { id: 'PRI', name: 'Partido Rojo' },
  { id: 'PRD', name: 'Partido Amarillo' },
  { id: 'PVE', name: 'Partido Verde' },
  { id: 'PT', name: 'Partido Trabajo' },
  { id: 'MC', name: 'Movimiento Naranja' },
  { id: 'MOR', name: 'Partido Guinda' },
];
const ID_COLUMNS = 'ELECTOR+CURP+OCR+FOL_NAC';
const IDLESS = `drop:${ID_COLUMNS}`;
const ALL_NORMAL = 'normalize:upper+accents+whitespace+dots+nfc';
const ERASE = `${IDLESS},collapse:long,${ALL_NORMAL}`;
const LATIN1_TSV_GZ = { delimiter: '\t', encoding: 'latin1', gzip: true, header: false };
const TRIAL_CLASSES = ['light', 'medium', 'heavy', 'fixed', 'once'];

// ---- arguments ---------------------------------------------------------------------------------
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
function opt(name, def) {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : def;
}

// ---- small deterministic helpers ----------------------------------------------------------------
/** Uniform 32-bit words from a string seed (SHA-256 in counter mode): leaker choice, sections. */
function stream(seed) {
  let block = 0;
  let buf = Buffer.alloc(0);
  let at = 0;
  const next = () => {
    if (at + 4 > buf.length) {
      buf = createHash('sha256').update(`${seed}\u0000${block++}`).digest();
      at = 0;
    }
    const v = buf.readUInt32LE(at);
    at += 4;
    return v;
  };
  return {
    int: (n) => Math.floor((next() / 0x100000000) * n),
    pick(items) {
      return items[this.int(items.length)];
    },
    /** k distinct indexes out of n. */
    choose(n, k) {
      const a = Array.from({ length: n }, (_, i) => i);
      for (let i = 0; i < k; i++) {
        const j = i + this.int(n - i);
        [a[i], a[j]] = [a[j], a[i]];
      }
      return a.slice(0, k).sort((x, y) => x - y);
    },
  };
}

/** FNV-1a of seed + key, in [0, 1): the same key draws the same number in every copy. */
function keyUniform(seedHash, key) {
  let h = seedHash;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return (h >>> 0) / 0x100000000;
}

const pct = (f) => `${+(f * 100).toPrecision(3)}%`;
const median = (xs) => {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};

// ---- the grid -----------------------------------------------------------------------------------
/**
 * Every cell: `family` (the table's sections), `attack` and `strength` (its row), `k` leakers
 * (0 for a control), `attacks` (the compact attack syntax of src/lab/simulate.ts, or a function of
 * the trial's draws), `format` (how the leak is written), `trials` (a class, see trialsFor),
 * `series` and `order` (cells of one series differ only in strength: used to find how large a
 * leak must be), `source` for controls, `collusion` {strategy, rows} for coalitions.
 */
function grid(R) {
  const cells = [];
  const add = (c) => cells.push({ format: {}, trials: 'light', k: 1, source: 'copies', ...c });

  // subsets
  for (const n of [3, 5, 10, 20, 40, 100]) add({ family: 'subset', attack: 'random rows', strength: `${n} rows`, attacks: `random:${n}`, series: 'subset-rows', order: n });
  for (const f of [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5]) {
    add({ family: 'subset', attack: 'random sample', strength: pct(f), attacks: `sample:${f}`, trials: f >= 0.25 ? 'heavy' : f >= 0.05 ? 'medium' : 'light', series: 'subset-sample', order: f });
  }
  add({ family: 'subset', attack: 'one section', strength: 'ENTIDAD+SECCION', attacks: (d) => `where:ENTIDAD=${d.section[0]},where:SECCION=${d.section[1]}` });
  add({ family: 'subset', attack: 'one municipality', strength: 'ENTIDAD+MUNICIPIO', attacks: (d) => `where:ENTIDAD=${d.municipality[0]},where:MUNICIPIO=${d.municipality[1]}`, trials: 'medium' });
  for (const n of [100, 1000, 10000]) add({ family: 'subset', attack: 'first N rows', strength: `${n} rows`, attacks: `first:${n}`, trials: 'fixed' });

  // identifier columns dropped
  for (const n of [10, 20, 40, 100, 1000, 10000]) {
    add({ family: 'id-less', attack: `drop ${ID_COLUMNS.replaceAll('+', ', ')}`, strength: `${n} rows`, attacks: `random:${n},${IDLESS}`, trials: n >= 10000 ? 'medium' : 'light', series: 'idless-rows', order: n });
  }
  for (const n of [20, 100, 300, 1000]) add({ family: 'id-less', attack: 'keep only APE_PAT, APE_MAT, NOMBRE, FNAC', strength: `${n} rows`, attacks: `random:${n},keep:APE_PAT+APE_MAT+NOMBRE+FNAC`, series: 'names-only', order: n });
  for (const n of [100, 1000]) add({ family: 'id-less', attack: 'keep only CURP and the address', strength: `${n} rows`, attacks: `random:${n},keep:CURP+CALLE+NUM_EXT+COLONIA+CODPOSTAL`, series: 'curp-address', order: n });
  // column order and header: APE_PAT and APE_MAT look alike by content
  for (const n of [100, 1000]) add({ family: 'id-less', attack: 'shuffled columns, no header', strength: `${n} rows`, attacks: `random:${n},${IDLESS},shuffle-columns`, format: { header: false }, series: 'shuffled-no-header', order: n });
  add({ family: 'id-less', attack: 'shuffled columns, header kept', strength: '100 rows', attacks: `random:100,${IDLESS},shuffle-columns` });
  add({ family: 'id-less', attack: 'columns in order, no header', strength: '100 rows', attacks: `random:100,${IDLESS}`, format: { header: false } });
  add({ family: 'id-less', attack: 'no identifying column (address, section, occupation)', strength: '1000 rows', attacks: 'random:1000,keep:CALLE+NUM_EXT+NUM_INT+COLONIA+CODPOSTAL+ENTIDAD+SECCION+OCUPACION', trials: 'medium' });

  // normalisation (id-less, so that nothing but the cells' spelling is left to go by)
  for (const step of ['upper', 'lower', 'accents', 'whitespace', 'dots', 'nfc']) {
    add({ family: 'normalize', attack: `${step} (id-less)`, strength: '1000 rows', attacks: `random:1000,${IDLESS},normalize:${step}` });
  }
  for (const n of [10, 20, 40, 100, 1000]) {
    add({ family: 'normalize', attack: 'everything: upper, accents, whitespace, dots, nfc (id-less)', strength: `${n} rows`, attacks: `random:${n},${IDLESS},${ALL_NORMAL}`, series: 'normalize-all', order: n });
  }

  // collapsing families
  for (const to of ['long', 'short']) {
    for (const n of [100, 1000, 10000]) {
      add({ family: 'collapse', attack: `every family to its ${to} form`, strength: `${n} rows`, attacks: `random:${n},collapse:${to}`, trials: n >= 10000 ? 'medium' : 'light', series: `collapse-${to}`, order: n });
    }
  }
  for (const n of [100, 1000]) add({ family: 'collapse', attack: 'to long form + normalise everything (keys kept)', strength: `${n} rows`, attacks: `random:${n},collapse:long,${ALL_NORMAL}`, series: 'erase-keyed', order: n });

  // every field mark erased: only the canaries are left, and absent canaries count only in
  // sections the dump covers
  const eraseAttack = 'erase every field mark (id-less, collapse long, normalise all)';
  for (const f of [0.01, 0.1, 0.5]) {
    add({ family: 'erase marks', attack: `${eraseAttack}; random sample`, strength: pct(f), attacks: `sample:${f},${ERASE}`, trials: f >= 0.5 ? 'heavy' : f >= 0.1 ? 'medium' : 'light', series: 'erase-sample', order: f });
  }
  add({ family: 'erase marks', attack: `${eraseAttack}; one section`, strength: 'ENTIDAD+SECCION', attacks: (d) => `where:ENTIDAD=${d.section[0]},where:SECCION=${d.section[1]},${ERASE}` });
  add({ family: 'erase marks', attack: `${eraseAttack}; one municipality`, strength: 'ENTIDAD+MUNICIPIO', attacks: (d) => `where:ENTIDAD=${d.municipality[0]},where:MUNICIPIO=${d.municipality[1]},${ERASE}`, trials: 'medium' });
  for (const f of [0.1, 0.25, 0.5, 0.75, 1]) {
    add({ family: 'erase marks', attack: `${eraseAttack}; whole sections (first rows)`, strength: pct(f), attacks: `first:${Math.round(f * R)},${ERASE}`, trials: 'fixed', series: 'erase-sections', order: f });
  }

  // random cell edits
  for (const rate of [0.01, 0.05, 0.1, 0.3]) add({ family: 'edit', attack: 'random cell edits', strength: `${pct(rate)} of cells, 1000 rows`, attacks: `random:1000,edit:${rate}`, series: 'edit', order: rate });
  for (const rate of [0.1, 0.3]) add({ family: 'edit', attack: 'random cell edits (id-less)', strength: `${pct(rate)} of cells, 1000 rows`, attacks: `random:1000,${IDLESS},edit:${rate}`, series: 'edit-idless', order: rate });
  add({ family: 'edit', attack: 'random cell edits', strength: '30% of cells, 100 rows', attacks: 'random:100,edit:0.3' });

  // foreign rows
  for (const share of [0.1, 0.25, 0.5]) {
    const n = Math.round((1000 * share) / (1 - share));
    add({ family: 'foreign', attack: 'fabricated rows mixed in', strength: `${pct(share)} of the leak, 1000 real`, attacks: `random:1000,foreign:${n},shuffle-rows`, series: 'foreign', order: share });
  }
  add({ family: 'foreign', attack: 'fabricated rows mixed in (id-less, normalised)', strength: '50% of the leak, 100 real', attacks: `random:100,foreign:100,shuffle-rows,${IDLESS},${ALL_NORMAL}` });
  add({ family: 'foreign', attack: "an unrelated registry's rows mixed in", strength: '50% of the leak, 1000 real', attacks: 'random:1000', mixUnrelated: 1000 });
  add({ family: 'foreign', attack: "an unrelated registry's rows mixed in (id-less, normalised)", strength: '50% of the leak, 100 real', attacks: `random:100,${IDLESS},${ALL_NORMAL}`, mixUnrelated: 100, mixAttacks: `${IDLESS},${ALL_NORMAL}` });

  // re-encoding
  for (const n of [100, 1000]) add({ family: 're-encode', attack: 'Latin-1 TSV, gzip, no header', strength: `${n} rows`, attacks: `random:${n},shuffle-columns`, format: LATIN1_TSV_GZ });
  add({ family: 're-encode', attack: 'Latin-1 TSV gzip, id-less, normalised', strength: '40 rows', attacks: `random:40,${IDLESS},normalize:upper+accents+whitespace,shuffle-columns`, format: LATIN1_TSV_GZ });
  add({ family: 're-encode', attack: 'the demo leak (id-less, normalised, shuffled rows and columns, Latin-1 TSV gzip)', strength: '5%', attacks: `sample:0.05,${IDLESS},normalize:upper+accents+whitespace,shuffle-rows,shuffle-columns`, format: { ...LATIN1_TSV_GZ, header: true }, trials: 'medium' });
  add({ family: 're-encode', attack: 'the demo leak, without its header', strength: '5%', attacks: `sample:0.05,${IDLESS},normalize:upper+accents+whitespace,shuffle-rows,shuffle-columns`, format: LATIN1_TSV_GZ, trials: 'medium' });

  // duplicates
  for (const n of [100, 1000]) for (const f of [0.5, 1]) add({ family: 'duplicates', attack: 'rows repeated', strength: `${pct(f)} of ${n} rows repeated`, attacks: `random:${n},duplicate:${f},shuffle-rows` });
  add({ family: 'duplicates', attack: 'every row about 4 times (id-less)', strength: '20 rows', attacks: `random:20,duplicate:1,duplicate:1,${IDLESS},shuffle-rows` });

  // collusion
  for (const k of [2, 3, 4, 5]) {
    for (const strategy of ['majority', 'minority', 'random', 'intersection']) {
      for (const rows of [300, 1000, 5000]) {
        add({ family: 'collusion', attack: `${k} copies, ${strategy}`, strength: `${rows} rows`, k, collusion: { strategy, rows }, attacks: `collude:${strategy},random:${rows}`, series: `collude-${k}-${strategy}`, order: rows });
      }
    }
  }
  for (const k of [2, 3, 5]) {
    add({ family: 'collusion', attack: `${k} copies, majority, id-less, normalised`, strength: '5000 rows', k, collusion: { strategy: 'majority', rows: 5000 }, attacks: `collude:majority,random:5000,${IDLESS},normalize:upper+accents+whitespace` });
  }

  // controls: no recipient leaked
  add({ family: 'control', attack: 'the unmarked registry', strength: '1000 rows', k: 0, source: 'registry', attacks: 'random:1000' });
  add({ family: 'control', attack: 'the unmarked registry (id-less, normalised)', strength: '1000 rows', k: 0, source: 'registry', attacks: `random:1000,${IDLESS},${ALL_NORMAL}` });
  add({ family: 'control', attack: 'the unmarked registry', strength: '10%', k: 0, source: 'registry', attacks: 'sample:0.1', trials: 'medium' });
  add({ family: 'control', attack: 'the unmarked registry, whole', strength: '100%', k: 0, source: 'registry', attacks: 'none', trials: 'once' });
  add({ family: 'control', attack: 'an unrelated registry', strength: '1000 rows', k: 0, source: 'unrelated', attacks: 'random:1000' });

  return cells.map((c, id) => ({ ...c, id }));
}

function trialsFor(cls, base) {
  switch (cls) {
    case 'light':
      return base;
    case 'medium':
      return Math.max(1, Math.round(base / 2.5));
    case 'heavy':
      return Math.max(1, Math.round(base / 7));
    case 'fixed':
      return Math.min(base, RECIPIENTS.length); // first-N leaks are deterministic: one per recipient
    case 'once':
      return 1;
  }
  throw new Error(`unknown trial class ${cls}`);
}

/** Rough cost of one trial, to hand out the expensive tasks first. */
function costOf(cell, R) {
  const spec = typeof cell.attacks === 'string' ? cell.attacks : '';
  const m = /(?:random|first):(\d+)/.exec(spec);
  const s = /sample:([0-9.]+)/.exec(spec);
  const rows = m ? Number(m[1]) : s ? Number(s[1]) * R : cell.source === 'registry' ? R : 2000;
  return rows * (cell.k > 1 ? 2 : 1) + 1000;
}

// ---- one trial (in a worker) --------------------------------------------------------------------
async function worker() {
  const distFile = opt('module');
  const work = opt('work-dir');
  const api = await import(pathToFileURL(distFile).href);
  const meta = JSON.parse(fs.readFileSync(path.join(work, 'lab-ready.json'), 'utf8'));
  const vault = await api.openVault(path.join(work, 'vault'));
  const copies = [];
  for (const r of RECIPIENTS) copies.push(await api.readTable(path.join(work, 'copies', `${r.id}.csv`)));
  const registry = await api.readTable(path.join(work, 'registry.csv'));
  const unrelated = await api.readTable(path.join(work, 'unrelated.csv'));
  const R = meta.rows;
  const cells = grid(R);
  const col = (name) => registry.header.indexOf(name);
  const groupsOf = (a, b) => {
    const seen = new Map();
    for (const r of registry.rows) {
      const g = `${r[col(a)]}\u0000${r[col(b)]}`;
      seen.set(g, (seen.get(g) ?? 0) + 1);
    }
    return [...seen.keys()].map((g) => g.split('\u0000'));
  };
  const sections = groupsOf('ENTIDAD', 'SECCION');
  const municipalities = groupsOf('ENTIDAD', 'MUNICIPIO');
  const keyCol = copies[0].header.indexOf('ELECTOR');
  const leakFile = path.join(work, `leak-${process.pid}`);
  process.send({ type: 'ready' });

  process.on('message', async (msg) => {
    if (msg.type === 'stop') process.exit(0);
    if (msg.type !== 'task') return;
    try {
      process.send({ type: 'result', result: await trial(cells[msg.cell], msg.trial) });
    } catch (err) {
      process.send({ type: 'result', result: { cell: msg.cell, trial: msg.trial, error: String(err?.stack ?? err) } });
    }
  });

  async function trial(cell, t) {
    const started = Date.now();
    const seed = `${meta.seed}:${cell.id}:${t}`;
    const draw = stream(seed);
    let leakers = [];
    let tables;
    if (cell.source === 'registry') tables = [registry];
    else if (cell.source === 'unrelated') tables = [unrelated];
    else {
      // Single leakers go round the recipients in turn (deterministic leaks differ only by it);
      // coalitions are drawn at random.
      leakers = cell.k === 1 ? [t % RECIPIENTS.length] : draw.choose(RECIPIENTS.length, cell.k);
      tables = leakers.map((j) => copies[j]);
    }
    if (cell.collusion) {
      // Keep the same keys in every copy, about 1.5x the rows wanted; combine; then sample.
      const f = Math.min(1, (1.5 * cell.collusion.rows) / R);
      const h = createHash('sha256').update(seed).digest().readUInt32LE(0);
      tables = tables.map((tb) => ({ header: tb.header, rows: tb.rows.filter((r) => keyUniform(h, r[keyCol]) < f) }));
    }
    const spec = typeof cell.attacks === 'function' ? cell.attacks({ section: draw.pick(sections), municipality: draw.pick(municipalities) }) : cell.attacks;
    let leak = await api.applyAttacks(tables, api.parseAttacks(spec), seed);
    if (cell.mixUnrelated) {
      const extra = await api.applyAttacks([unrelated], api.parseAttacks(`random:${cell.mixUnrelated}${cell.mixAttacks ? `,${cell.mixAttacks}` : ''}`), `${seed}:unrelated`);
      if (extra.header.join() !== leak.header.join()) throw new Error(`cell ${cell.id}: the unrelated rows' columns differ from the leak's`);
      leak = await api.applyAttacks([{ header: leak.header, rows: [...leak.rows, ...extra.rows] }], api.parseAttacks('shuffle-rows'), `${seed}:mix`);
    }
    await api.writeTable(leak, leakFile, cell.format);
    const report = await api.traceDump({ vault, dump: leakFile, release: RELEASE, now: () => new Date(0) });
    const ids = RECIPIENTS.map((r) => r.id);
    const leakerIds = leakers.map((j) => ids[j]);
    const implicated = report.suspects.filter((s) => s.implicated).map((s) => s.recipient);
    const of = (id) => report.suspects.find((s) => s.recipient === id);
    const innocents = report.suspects.filter((s) => !leakerIds.includes(s.recipient));
    return {
      cell: cell.id,
      trial: t,
      rows: leak.rows.length,
      leakers: leakerIds,
      implicated,
      verdict: report.verdict,
      all: leakerIds.length > 0 && leakerIds.every((id) => implicated.includes(id)),
      any: leakerIds.some((id) => implicated.includes(id)),
      falseAccused: implicated.filter((id) => !leakerIds.includes(id)),
      bestLeaker: leakerIds.length ? Math.min(...leakerIds.map((id) => of(id).log10PValue)) : null,
      worstLeaker: leakerIds.length ? Math.max(...leakerIds.map((id) => of(id).log10PValue)) : null,
      bestInnocent: Math.min(...innocents.map((s) => s.log10PValue)),
      rowsMatched: report.dump.rowsMatched,
      marks: report.suspects[0]?.marksObserved ?? 0,
      canaries: report.releases[0]?.canariesObserved ?? 0,
      spec,
      ms: Date.now() - started,
    };
  }
}

// ---- setting up the release ---------------------------------------------------------------------
async function prepare(api, work, rows, seed, distHash) {
  const marker = path.join(work, 'lab-ready.json');
  if (fs.existsSync(marker)) {
    const m = JSON.parse(fs.readFileSync(marker, 'utf8'));
    if (m.rows === rows && m.seed === seed && m.distHash === distHash) {
      log(`reusing the release in ${work}`);
      return m;
    }
  }
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work, { recursive: true });
  const synth = async (file, n, s) => {
    const out = fs.createWriteStream(file);
    await api.writeSyntheticRegistry({ rows: n, seed: s }, out);
    await new Promise((resolve, reject) => out.end((err) => (err ? reject(err) : resolve())));
  };
  let t = Date.now();
  await synth(path.join(work, 'registry.csv'), rows, seed);
  await synth(path.join(work, 'unrelated.csv'), 20000, `${seed}-unrelated`);
  log(`synthesized ${rows} rows in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  t = Date.now();
  const vault = await api.initVault(path.join(work, 'vault'));
  const issued = await api.issueRelease({ vault, registry: path.join(work, 'registry.csv'), recipients: RECIPIENTS, release: RELEASE, outDir: path.join(work, 'copies') });
  log(`issued ${RECIPIENTS.length} copies (${issued.canaries} canaries) in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  const m = { rows, seed, distHash, canaries: issued.canaries, copyRows: issued.copies.map((c) => c.rows) };
  fs.writeFileSync(marker, JSON.stringify(m));
  return m;
}

function log(s) {
  process.stderr.write(`lab: ${s}\n`);
}

// ---- the table ----------------------------------------------------------------------------------
function summarize(cells, results) {
  return cells.map((cell) => {
    const rs = results.filter((r) => r.cell === cell.id && !r.error);
    const n = rs.length;
    const leakerCells = cell.k > 0;
    return {
      id: cell.id,
      family: cell.family,
      attack: cell.attack,
      strength: cell.strength,
      leakers: cell.k,
      example: rs[0]?.spec ?? (typeof cell.attacks === 'string' ? cell.attacks : ''),
      format: Object.keys(cell.format).length ? cell.format : undefined,
      series: cell.series,
      order: cell.order,
      trials: n,
      errors: results.filter((r) => r.cell === cell.id && r.error).length,
      all: leakerCells && n ? rs.filter((r) => r.all).length / n : null,
      any: leakerCells && n ? rs.filter((r) => r.any).length / n : null,
      falseAccusations: rs.filter((r) => r.falseAccused.length > 0).length,
      medianRows: median(rs.map((r) => r.rows)),
      medianRowsMatched: median(rs.map((r) => r.rowsMatched)),
      medianMarks: median(rs.map((r) => r.marks)),
      medianCanaries: median(rs.map((r) => r.canaries)),
      medianBestLeakerLog10P: leakerCells ? median(rs.map((r) => r.bestLeaker)) : null,
      medianWorstLeakerLog10P: leakerCells ? median(rs.map((r) => r.worstLeaker)) : null,
      bestInnocentLog10P: n ? Math.min(...rs.map((r) => r.bestInnocent)) : null,
      seconds: rs.reduce((a, r) => a + r.ms, 0) / 1000,
      verdicts: rs.reduce((a, r) => ((a[r.verdict] = (a[r.verdict] ?? 0) + 1), a), {}),
    };
  });
}

const fmtRate = (x) => (x === null ? '-' : `${(x * 100).toFixed(x === 1 || x === 0 ? 0 : 1)}%`);
const fmtLog = (x) => (x === null || x === undefined ? '-' : x > -0.05 ? '1' : x <= -1000 ? `1e${Math.round(x)}` : `1e${x.toFixed(1)}`);
const fmtN = (x) => (x === null ? '-' : Math.round(x).toLocaleString('en-US'));

function markdown(summary, meta) {
  const out = [];
  const total = summary.reduce((a, c) => a + c.trials, 0);
  const falseTotal = summary.reduce((a, c) => a + c.falseAccusations, 0);
  const errors = summary.reduce((a, c) => a + c.errors, 0);
  const closest = Math.min(...summary.map((c) => c.bestInnocentLog10P ?? 0));
  out.push(`# rollmark leak lab: robustness`);
  out.push('');
  out.push(`${meta.date} - ${meta.rows.toLocaleString('en-US')}-row synthetic mx-ine registry, ${RECIPIENTS.length} recipients, ` +
    `${meta.canaries} canaries, bound ${BOUND}, seed \`${meta.seed}\`; ${total.toLocaleString('en-US')} simulated leaks in ` +
    `${(meta.seconds / 60).toFixed(1)} min on ${meta.workers} worker(s), Node ${process.versions.node}.`);
  out.push('');
  out.push(`**False accusations: ${falseTotal}** in ${total.toLocaleString('en-US')} leaks. The strongest evidence ever seen ` +
    `against a recipient who did not leak: p = ${fmtLog(closest)} (the bound is 1e-9).` + (errors ? ` **${errors} trials failed** (see lab.json).` : ''));
  out.push('');
  out.push('*all*: every leaker implicated at 1e-9; *any*: at least one; *false*: trials that implicated a recipient who did not leak; ' +
    '*rows*: median rows in the leak; *p (best)*: median p-value bound of the best-placed leaker; *innocent*: the smallest p-value any non-leaker got in the cell.');
  for (const family of [...new Set(summary.map((c) => c.family))]) {
    out.push('');
    out.push(`## ${family}`);
    out.push('');
    out.push('| attack | strength | leakers | trials | rows | all | any | false | p (best) | innocent |');
    out.push('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const c of summary.filter((s) => s.family === family)) {
      out.push(`| ${c.attack} | ${c.strength} | ${c.leakers} | ${c.trials} | ${fmtN(c.medianRows)} | ${fmtRate(c.all)} | ${fmtRate(c.any)} | ` +
        `${c.falseAccusations} | ${fmtLog(c.medianBestLeakerLog10P)} | ${fmtLog(c.bestInnocentLog10P)} |`);
    }
  }
  // What defeats attribution, and how large the leak must then be.
  out.push('');
  out.push('## Attacks that defeat attribution');
  out.push('');
  out.push('Cells where at least one leaker was implicated in fewer than 95% of the trials, and, for a series of strengths, ' +
    'the smallest strength at which it was implicated in 95% or more:');
  out.push('');
  const weak = summary.filter((c) => c.leakers > 0 && c.trials > 0 && c.any < 0.95);
  if (weak.length === 0) out.push('- none');
  for (const c of weak) {
    let note = '';
    if (c.series) {
      const later = summary.filter((s) => s.series === c.series && s.order > c.order && s.trials > 0).sort((a, b) => a.order - b.order);
      const ok = later.find((s) => s.any >= 0.95);
      note = ok ? `; enough from ${ok.strength} (median ${fmtN(ok.medianRows)} rows, any ${fmtRate(ok.any)})` : '; no larger strength in the grid reached 95%';
    }
    out.push(`- ${c.family}: ${c.attack}, ${c.strength}: any ${fmtRate(c.any)}, all ${fmtRate(c.all)} (median ${fmtN(c.medianRows)} rows, ` +
      `${fmtN(c.medianMarks)} marks read, ${fmtN(c.medianCanaries)} canaries observed)${note}`);
  }
  return out.join('\n') + '\n';
}

// ---- main ---------------------------------------------------------------------------------------
async function mainProcess() {
  const quick = flag('quick');
  const baseTrials = Number(opt('trials', quick ? '3' : '100'));
  const rows = Number(opt('rows', quick ? '60000' : '150000'));
  const seed = opt('seed', 'lab');
  const workers = Number(opt('workers', String(Math.max(1, os.availableParallelism?.() ?? os.cpus().length))));
  const only = opt('only') ? new RegExp(opt('only'), 'i') : null;
  const outDir = path.resolve(opt('out', path.join(ROOT, 'bench', 'out')));
  if (!(baseTrials >= 1) || !(rows >= 10000) || !(workers >= 1)) {
    console.error('usage: node bench/lab.mjs [--full | --quick | --trials N] [--rows N>=10000] [--workers N] [--seed S] [--only REGEX] [--work DIR] [--out DIR] [--dist DIR]');
    process.exit(2);
  }
  const distDir = path.resolve(opt('dist', path.join(ROOT, 'dist')));
  if (!fs.existsSync(path.join(distDir, 'index.js'))) {
    console.error(`lab: ${path.join(distDir, 'index.js')} is missing: run \`npm run build\` (or \`npm run lab\`)`);
    process.exit(1);
  }
  // Snapshot the build (every module beside index.js: workers are entries of their own): others
  // may rebuild dist/ (tsup cleans it first) while the lab runs for an hour. The snapshot stays
  // inside the repository so that the bundle's bare imports still resolve to node_modules/.
  fs.mkdirSync(outDir, { recursive: true });
  const snapDir = fs.mkdtempSync(path.join(ROOT, 'bench', 'out', '.lab-dist-'));
  const hash = createHash('sha256');
  for (const f of fs.readdirSync(distDir).filter((f) => /\.(c|m)?js$/.test(f)).sort()) {
    fs.copyFileSync(path.join(distDir, f), path.join(snapDir, f));
    hash.update(f).update(fs.readFileSync(path.join(snapDir, f)));
  }
  const snap = path.join(snapDir, 'index.js');
  const distHash = hash.digest('hex').slice(0, 16);
  const keepWork = opt('work') !== undefined;
  const work = path.resolve(opt('work') ?? fs.mkdtempSync(path.join(os.tmpdir(), 'rollmark-lab-')));
  const cleanup = () => {
    fs.rmSync(snapDir, { recursive: true, force: true });
    if (!keepWork) fs.rmSync(work, { recursive: true, force: true });
  };
  process.on('SIGINT', () => {
    cleanup();
    process.exit(130);
  });

  try {
    await runGrid({ snap, distHash, work, rows, seed, baseTrials, workers, only, outDir });
  } finally {
    cleanup();
  }
}

async function runGrid({ snap, distHash, work, rows, seed, baseTrials, workers, only, outDir }) {
  const started = Date.now();
  const api = await import(pathToFileURL(snap).href);
  const meta = await prepare(api, work, rows, seed, distHash);
  const cells = grid(rows).filter((c) => !only || only.test(`${c.family} ${c.attack} ${c.strength}`));
  const tasks = [];
  for (const cell of cells) for (let t = 0; t < trialsFor(cell.trials, baseTrials); t++) tasks.push({ cell: cell.id, trial: t, cost: costOf(cell, rows) });
  tasks.sort((a, b) => b.cost - a.cost);
  log(`${cells.length} cells, ${tasks.length} leaks, ${workers} worker(s)`);

  const results = [];
  let next = 0;
  let lastReport = Date.now();
  await new Promise((resolve, reject) => {
    let live = 0;
    for (let w = 0; w < Math.min(workers, tasks.length); w++) {
      live++;
      const child = fork(fileURLToPath(import.meta.url), ['--worker', '--module', snap, '--work-dir', work], {
        execArgv: ['--max-old-space-size=8192'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      const give = () => {
        if (next < tasks.length) {
          const { cell, trial } = tasks[next++];
          child.send({ type: 'task', cell, trial });
        } else child.send({ type: 'stop' });
      };
      child.on('message', (msg) => {
        if (msg.type === 'result') {
          results.push(msg.result);
          if (msg.result.error) log(`cell ${msg.result.cell} trial ${msg.result.trial} failed: ${msg.result.error.split('\n')[0]}`);
          if (msg.result.falseAccused?.length) log(`FALSE ACCUSATION: cell ${msg.result.cell} trial ${msg.result.trial}: ${msg.result.falseAccused.join(', ')} (${msg.result.spec})`);
          if (Date.now() - lastReport > 30000) {
            lastReport = Date.now();
            const el = (Date.now() - started) / 1000;
            const eta = results.length ? (el / results.length) * (tasks.length - results.length) : 0;
            log(`${results.length}/${tasks.length} leaks, ${(el / 60).toFixed(1)} min, about ${(eta / 60).toFixed(0)} min to go`);
          }
        }
        give();
      });
      child.on('exit', (code) => {
        live--;
        if (code !== 0) reject(new Error(`a worker exited with code ${code}`));
        else if (live === 0) resolve();
      });
    }
  });

  const seconds = (Date.now() - started) / 1000;
  const summary = summarize(cells, results);
  const info = { date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), rows, seed, canaries: meta.canaries, workers, seconds, baseTrials, leaks: results.length };
  const md = markdown(summary, info);
  fs.writeFileSync(path.join(outDir, 'lab.md'), md);
  fs.writeFileSync(path.join(outDir, 'lab.json'), JSON.stringify({ ...info, node: process.versions.node, recipients: RECIPIENTS.map((r) => r.id), bound: BOUND, cells: summary, results }, null, 1) + '\n');
  process.stdout.write(md);
  log(`wrote ${path.join(outDir, 'lab.md')} and lab.json`);
  const falseTotal = summary.reduce((a, c) => a + c.falseAccusations, 0);
  if (falseTotal > 0 || results.some((r) => r.error)) process.exitCode = 1;
}

if (flag('worker')) await worker();
else await mainProcess();
