#!/usr/bin/env node
/**
 * Code efficiency by simulation: the fewest observed code positions at which a leaker (or at least
 * one of a coalition) is implicated at the false-accusation bound with 95% power.
 *
 * Model (DESIGN.md, "Scoring and the false-accusation bound"): 7 recipients, each position's bias
 * P from biasFromUniform (arcsine with cutoff), each recipient's symbol 1 iff a uniform u16 < P.
 * Colluders see only where their copies differ (the marking assumption): where they all agree the
 * dump shows their common symbol; elsewhere the strategy picks (majority, minority, coin = a fair
 * coin, interleave = the symbol of a random colluder; ties by a coin). Bound: the library's
 * attributionBound (all statistics, Chernoff on the exact terms, Bonferroni over statistics and
 * the 7 recipients), implicated when pValue <= 1e-9.
 *
 * Each trial draws one long code and evaluates prefixes at a grid of lengths, so the power curve
 * is monotone-ish and cheap; a pilot pass on a coarse grid locates the region, then a fine grid
 * (4% steps) with the full number of trials. Innocents are checked at every trial's longest
 * prefix: a false accusation is reported (there should be none).
 *
 * Usage:
 *   npm run build && node bench/efficiency.mjs [--trials 400] [--cutoff 0.02]
 *      [--scenarios single,2-majority,3-majority,3-minority,3-coin,3-interleave,5-majority]
 *      [--stats tardos,llr(0.05),llr(0.125),llr(0.25)] [--cutoffs 0.001,0.01,...] [--seed 1]
 *   Without a build: bundle the attribution core and point ROLLMARK_STATS_DIR at it:
 *   npx tsup src/attribution/chernoff.ts src/attribution/evidence.ts src/code/bias.ts \
 *     src/attribution/scores.ts --format esm -d /tmp/st --no-config
 *   ROLLMARK_STATS_DIR=/tmp/st node bench/efficiency.mjs
 */
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';

async function loadApi() {
  const dir = process.env.ROLLMARK_STATS_DIR;
  if (dir) {
    const parts = await Promise.all(
      ['chernoff', 'evidence', 'bias', 'scores'].map((m) => import(pathToFileURL(join(dir, `${m}.js`)).href)),
    );
    return Object.assign({}, ...parts);
  }
  return import(new URL('../dist/index.js', import.meta.url).href);
}

const api = await loadApi();
const { EvidenceTally, attributionBound, biasFromUniform, DEFAULT_CUTOFF } = api;
const DEFAULT_STATISTICS = api.DEFAULT_STATISTICS ?? new EvidenceTally(1).statistics;
const parseStatistic = (name) => {
  if (api.parseStatistic) return api.parseStatistic(name);
  if (name === 'tardos') return { kind: 'tardos' };
  const m = /^llr\(([0-9.eE+-]+)\)$/.exec(name);
  if (!m) throw new Error(`unknown statistic ${name}`);
  return { kind: 'llr', d: Number(m[1]) };
};

// ---- arguments ----------------------------------------------------------------------------------
const args = process.argv.slice(2);
function opt(name, def) {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : def;
}
const TRIALS = Number(opt('trials', '400'));
const SEED = Number(opt('seed', '1'));
const RECIPIENTS = 7;
const BOUND = 1e-9;
const POWER = 0.95;
const cutoffs = opt('cutoffs', null)?.split(',').map(Number) ?? [Number(opt('cutoff', String(DEFAULT_CUTOFF)))];
const statistics = opt('stats', null)?.split(',').map(parseStatistic) ?? DEFAULT_STATISTICS;
const REFERENCE = { single: 80, '2-majority': 480, '3-majority': 960, '3-minority': 1280, '5-majority': 2560 };
const scenarioNames = opt('scenarios', 'single,2-majority,3-majority,3-minority,3-coin,3-interleave,5-majority').split(',');

// ---- PRNG: xoshiro128** (Blackman & Vigna), seeded by splitmix32 ---------------------------------
function rng(seed) {
  let s = seed >>> 0;
  const sm = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = sm(), b = sm(), c = sm(), d = sm();
  return () => {
    const r = Math.imul(((Math.imul(b, 5) << 7) | (Math.imul(b, 5) >>> 25)), 9) >>> 0;
    const t = b << 9;
    c ^= a; d ^= b; b ^= c; a ^= d; c ^= t;
    d = (d << 11) | (d >>> 21);
    return r;
  };
}

function parseScenario(name) {
  if (name === 'single') return { name, c: 1, strategy: 'copy' };
  const m = /^(\d+)-(majority|minority|coin|interleave)$/.exec(name);
  if (!m) throw new Error(`unknown scenario ${name}`);
  return { name, c: Number(m[1]), strategy: m[2] };
}

/** The dump's symbol given the colluders' symbols xs[0..c). */
function attack(strategy, xs, c, next) {
  let ones = 0;
  for (let i = 0; i < c; i++) ones += xs[i];
  if (ones === 0) return 0;
  if (ones === c) return 1;
  const coin = () => next() & 1;
  switch (strategy) {
    case 'majority':
      return 2 * ones > c ? 1 : 2 * ones < c ? 0 : coin();
    case 'minority':
      return 2 * ones < c ? 1 : 2 * ones > c ? 0 : coin();
    case 'coin':
      return coin();
    case 'interleave':
      return xs[next() % c];
    default:
      return xs[0];
  }
}

function grid(lo, hi, ratio) {
  const out = [];
  for (let n = lo; n <= hi; n = Math.max(n + 1, Math.round(n * ratio))) out.push(n);
  return out;
}

/** One trial: per checkpoint, whether some colluder (any) / every colluder (all) is implicated. */
function trial(sc, cutoff, checkpoints, next, stats) {
  const tally = new EvidenceTally(RECIPIENTS, statistics);
  const xs = new Uint8Array(RECIPIENTS);
  const any = new Uint8Array(checkpoints.length);
  const all = new Uint8Array(checkpoints.length);
  let k = 0;
  let n = 0;
  for (let ci = 0; ci < checkpoints.length; ci++) {
    for (; n < checkpoints[ci]; n++) {
      const P = biasFromUniform(next(), cutoff);
      for (let j = 0; j < RECIPIENTS; j += 2) {
        const u = next();
        xs[j] = (u & 0xffff) < P ? 1 : 0;
        if (j + 1 < RECIPIENTS) xs[j + 1] = u >>> 16 < P ? 1 : 0;
      }
      tally.observe(attack(sc.strategy, xs, sc.c, next), P, xs);
    }
    const ev = tally.finalize();
    let caught = 0;
    for (let j = 0; j < sc.c; j++) if (attributionBound(ev, j, RECIPIENTS).pValue <= BOUND) caught++;
    any[ci] = caught > 0 ? 1 : 0;
    all[ci] = caught === sc.c ? 1 : 0;
    if (ci === checkpoints.length - 1) {
      for (let j = sc.c; j < RECIPIENTS; j++) {
        const b = attributionBound(ev, j, RECIPIENTS);
        if (b.pValue <= BOUND) stats.falseAccusations++;
        stats.innocents++;
        if (b.log10PValue < stats.minInnocentLog10) stats.minInnocentLog10 = b.log10PValue;
      }
    }
    k++;
  }
  return { any, all };
}

function powerCurve(sc, cutoff, checkpoints, trials, seed, stats) {
  const next = rng(seed);
  const anyCount = new Float64Array(checkpoints.length);
  const allCount = new Float64Array(checkpoints.length);
  for (let t = 0; t < trials; t++) {
    const { any, all } = trial(sc, cutoff, checkpoints, next, stats);
    for (let i = 0; i < checkpoints.length; i++) {
      anyCount[i] += any[i];
      allCount[i] += all[i];
    }
  }
  return { any: [...anyCount].map((v) => v / trials), all: [...allCount].map((v) => v / trials) };
}

/** The smallest checkpoint from which on the power stays >= POWER (null if never). */
function firstPowered(checkpoints, power) {
  let idx = null;
  for (let i = checkpoints.length - 1; i >= 0; i--) {
    if (power[i] >= POWER) idx = i;
    else break;
  }
  return idx === null ? null : checkpoints[idx];
}

function locate(sc, cutoff, seed, stats) {
  // pilot: coarse grid, few trials
  const coarse = grid(sc.c === 1 ? 20 : 100 * sc.c, sc.c === 1 ? 400 : 4000 * sc.c, 1.2);
  const pilot = powerCurve(sc, cutoff, coarse, Math.max(40, Math.round(TRIALS / 8)), seed ^ 0x5bd1e995, stats);
  const roughAny = firstPowered(coarse, pilot.any) ?? coarse[coarse.length - 1];
  const roughAll = firstPowered(coarse, pilot.all) ?? coarse[coarse.length - 1];
  const fine = grid(Math.max(10, Math.floor(roughAny * 0.7)), Math.ceil(Math.max(roughAny, roughAll) * 1.35), 1.04);
  const curve = powerCurve(sc, cutoff, fine, TRIALS, seed, stats);
  return { any: firstPowered(fine, curve.any), all: firstPowered(fine, curve.all), fine, curve };
}

const t0 = Date.now();
console.log(`rollmark efficiency: ${RECIPIENTS} recipients, bound ${BOUND}, power ${POWER}, ${TRIALS} trials per point`);
console.log(`statistics: ${statistics.map((s) => (s.kind === 'tardos' ? 'tardos' : `llr(${s.d})`)).join(', ')}`);
for (const cutoff of cutoffs) {
  console.log(`\ncutoff t = ${cutoff}`);
  console.log('scenario       positions(>=1 caught)  positions(all caught)  design ref  false accusations / innocents (min log10 p)');
  for (const [i, name] of scenarioNames.entries()) {
    const sc = parseScenario(name);
    const stats = { falseAccusations: 0, innocents: 0, minInnocentLog10: 0 };
    const r = locate(sc, cutoff, SEED * 1000 + i, stats);
    const ref = REFERENCE[name] ?? '';
    console.log(
      `${name.padEnd(14)} ${String(r.any ?? '>max').padStart(20)}  ${String(sc.c === 1 ? '' : (r.all ?? '>max')).padStart(21)}  ${String(ref).padStart(10)}  ${stats.falseAccusations} / ${stats.innocents} (${stats.minInnocentLog10.toFixed(2)})`,
    );
  }
}
console.log(`\n${((Date.now() - t0) / 1000).toFixed(1)} s`);
