/**
 * SIGKILL during `rollmark issue` (the built CLI, a 200,000-row registry, 7 recipients), at
 * random points of each phase:
 *
 *   - pass 1 (the registry is checked; nothing is written yet),
 *   - copy writing (dot-named partial copies growing in the output folder),
 *   - right before the ledger append (the release's trace data has just been renamed into the
 *     vault: the kill is sent from a watch on vault/releases),
 *   - right after the ledger append (sent from a watch on the ledger: the copies are being renamed).
 *
 * Where the kill lands is read back from the disk, not assumed. The contract: a killed run leaves
 * no file that looks complete. Precisely, what these tests hold:
 *
 *   - ledger unchanged (byte-equal) -> nothing in the output folder but dot-named partial files;
 *   - ledger appended -> it verifies, and every copy it names is complete: either under its final
 *     name with the sha256 the ledger records, or (the kill came between the append and the
 *     rename) still under its dot-name with that same sha256. Any receipt present verifies.
 */
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT, RECIPIENTS, expectOneLineFailure, ledgerEntries, rollmark, sha256File, sleep, startRollmark, type Run } from './support.js';

type Target = 'pass 1' | 'copy writing' | 'before the ledger append' | 'after the ledger append';

let dir: string;
let vault: string;
let ledger: string;
let registry: string;
let recipients: string;
/** A complete, unkilled run: when the first partial copy appeared, when the release data did. */
const timing = { firstPartial: 0, releaseData: 0, total: 0 };
const findings: string[] = [];

beforeAll(async () => {
  if (!BUILT) return;
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'rollmark-fault-kill-'));
  vault = path.join(dir, 'vault');
  ledger = path.join(vault, 'ledger.jsonl');
  registry = path.join(dir, 'registry.csv');
  recipients = path.join(dir, 'recipients.csv');
  expect(rollmark(['init', '--vault', vault]).code).toBe(0);
  expect(rollmark(['synth', '--rows', '200000', '--out', registry, '--seed', 'fault-kill']).code).toBe(0);
  await fsp.writeFile(recipients, RECIPIENTS);
});

afterAll(async () => {
  if (findings.length) console.log(`kill tests:\n  ${findings.join('\n  ')}`);
  if (dir) await fsp.rm(dir, { recursive: true, force: true });
});

const list = (d: string) => (fs.existsSync(d) ? fs.readdirSync(d) : []);

interface Outcome {
  run: Run;
  landed: string;
  out: string;
  before: Buffer;
  ms: number;
}

/** Runs `issue` and kills it as `target` says; `delay` is a random share of the phase. */
async function killedIssue(release: string, target: Target | 'none', delay: number): Promise<Outcome> {
  const out = path.join(dir, `out-${release}`);
  const before = fs.readFileSync(ledger);
  const releasesDir = path.join(vault, 'releases');
  fs.mkdirSync(releasesDir, { recursive: true });
  const { child, done } = startRollmark(['issue', '--vault', vault, '--registry', registry, '--recipients', recipients, '--release', release, '--out', out, '--quiet']);
  const t0 = Date.now();
  let killed = false;
  const kill = () => {
    if (!killed) {
      killed = true;
      child.kill('SIGKILL');
    }
  };
  const watchers: fs.FSWatcher[] = [];
  if (target === 'before the ledger append') watchers.push(fs.watch(releasesDir, (_e, name) => name === release && kill()));
  if (target === 'after the ledger append') watchers.push(fs.watch(ledger, () => kill()));
  let exited = false;
  void done.then(() => (exited = true));
  let firstPartial = 0;
  while (!exited && !killed) {
    const now = Date.now();
    if (firstPartial === 0 && list(out).some((f) => f.startsWith('.'))) firstPartial = now;
    if (target === 'none' && firstPartial && !timing.firstPartial) timing.firstPartial = now - t0;
    if (target === 'none' && !timing.releaseData && fs.existsSync(path.join(releasesDir, release))) timing.releaseData = now - t0;
    if (target === 'pass 1' && now - t0 >= delay * timing.firstPartial) kill();
    if (target === 'copy writing' && firstPartial && now - firstPartial >= delay * (timing.releaseData - timing.firstPartial)) kill();
    await sleep(2);
  }
  const run = await done;
  for (const w of watchers) w.close();
  const ms = Date.now() - t0;
  const landed = !fs.readFileSync(ledger).equals(before)
    ? 'after the ledger append'
    : fs.existsSync(path.join(releasesDir, release))
      ? 'before the ledger append (release data in the vault)'
      : list(out).length > 0
        ? 'copy writing'
        : 'pass 1';
  return { run, landed, out, before, ms };
}

/** The invariants of a killed (or finished) run; returns a one-line account. */
function checkAftermath(release: string, o: Outcome): string {
  const files = list(o.out);
  const visible = files.filter((f) => !f.startsWith('.'));
  const after = fs.readFileSync(ledger);
  // The ledger always verifies, killed or not.
  const verify = rollmark(['verify', '--vault', vault]);
  expect(verify.code, verify.stderr).toBe(0);
  if (after.equals(o.before)) {
    expect(visible, `a killed run left files that look complete: ${visible.join(', ')}`).toEqual([]);
    return `${o.landed}: killed after ${o.ms} ms; ledger byte-equal; output folder: ${files.length ? `${files.length} dot-named partial file(s)` : 'nothing'}`;
  }
  // Appended: the ledger's copies for this release are all complete, renamed or not.
  const entries = ledgerEntries(ledger).filter((e) => e.data.release === release);
  const copies = entries.filter((e) => e.type === 'copy');
  expect(entries.filter((e) => e.type === 'release')).toHaveLength(1);
  expect(copies).toHaveLength(7);
  let renamed = 0;
  let pending = 0;
  for (const c of copies) {
    const final = path.join(o.out, `${c.data.recipient}.csv`);
    if (fs.existsSync(final)) {
      expect(sha256File(final), `${final} does not match its ledger entry`).toBe(c.data.sha256);
      renamed++;
    } else {
      const partial = files.filter((f) => f.startsWith(`.${c.data.recipient}.csv.partial-`));
      expect(partial.length, `the ledger names ${final}, which is neither renamed nor left complete`).toBe(1);
      expect(sha256File(path.join(o.out, partial[0])), `the partial ${partial[0]} is not the copy the ledger names`).toBe(c.data.sha256);
      pending++;
    }
  }
  for (const f of visible.filter((f) => f.endsWith('.receipt.json'))) {
    const r = rollmark(['verify', '--vault', vault, '--receipt', path.join(o.out, f)]);
    expect(r.code, r.stderr).toBe(0);
  }
  for (const f of visible) expect(f).toMatch(/^P[1-7]\.(csv|receipt\.json)$/);
  const receipts = visible.filter((f) => f.endsWith('.receipt.json')).length;
  const lock = fs.existsSync(`${ledger}.lock`);
  if (lock) fs.rmSync(`${ledger}.lock`); // see the finding recorded below
  if (pending > 0 || lock) {
    findings.push(
      `${release}: killed after the ledger append: ${pending} of 7 copies complete but still dot-named, ${receipts} receipts written` +
        (lock ? '; a stale ledger.jsonl.lock was left (the next issue fails LEDGER_LOCKED until it is deleted)' : ''),
    );
  }
  return `${o.landed}: killed after ${o.ms} ms; ledger appended and valid; copies renamed ${renamed}/7, complete but dot-named ${pending}/7, receipts ${receipts}/7${lock ? ', stale lock left' : ''}`;
}

/** A random share of a phase, within [lo, hi]. */
const share = (lo: number, hi: number) => lo + Math.random() * (hi - lo);
let killedBeforeAppend: { release: string; landed: string } | null = null;
let killedAfterAppend: { release: string; landed: string; out: string } | null = null;

describe.skipIf(!BUILT)('SIGKILL during rollmark issue', () => {
  it('a run left alone completes: copies match the ledger (timing the phases)', async () => {
    const o = await killedIssue('KILL-00', 'none', 0);
    expect(o.run.code, o.run.stderr).toBe(0);
    const account = checkAftermath('KILL-00', o);
    expect(account).toContain('renamed 7/7');
    timing.total = o.ms;
    expect(timing.firstPartial).toBeGreaterThan(0);
    expect(timing.releaseData).toBeGreaterThan(timing.firstPartial);
    findings.push(`timing of a full run: first partial copy at ${timing.firstPartial} ms, release data at ${timing.releaseData} ms, done at ${timing.total} ms`);
    await fsp.rm(o.out, { recursive: true, force: true });
  });

  const plans: [Target, number][] = [
    ['pass 1', share(0.2, 0.9)],
    ['copy writing', share(0.05, 0.5)],
    ['copy writing', share(0.5, 0.95)],
    ['before the ledger append', 0],
    ['after the ledger append', 0],
  ];
  plans.forEach(([target, at], i) => {
    const label = target === 'pass 1' || target === 'copy writing' ? `${target} (at ${Math.round(at * 100)}% of the phase)` : target;
    it(`killed during ${label}`, async () => {
      const release = `KILL-${String(i + 1).padStart(2, '0')}`;
      const o = await killedIssue(release, target, at);
      if (o.run.signal !== 'SIGKILL') {
        // The run finished before the kill came: everything must then be complete.
        expect(o.run.code, o.run.stderr).toBe(0);
      }
      const account = checkAftermath(release, o);
      findings.push(`${release} (aimed at ${target}): ${account}`);
      if (target === 'before the ledger append') killedBeforeAppend = { release, landed: o.landed };
      // Kept for the --resume test below.
      if (target === 'after the ledger append') killedAfterAppend = { release, landed: o.landed, out: o.out };
      else await fsp.rm(o.out, { recursive: true, force: true });
    });
  });

  // A kill between "release data renamed into the vault" and the ledger append leaves
  // vault/releases/<id> with no ledger entry: debris of a dead process, which the next issue of
  // that id replaces (it used to fail RELEASE_REUSED "already has data in the vault").
  it('a release killed before its ledger entry can be issued again under the same id', async () => {
    expect(killedBeforeAppend, 'the kill before the ledger append did not run').not.toBeNull();
    const { release, landed } = killedBeforeAppend as { release: string; landed: string };
    expect(landed).toMatch(/^before the ledger append/);
    // The id is what matters, not the registry: a small one keeps this quick once fixed.
    const small = path.join(dir, 'small.csv');
    expect(rollmark(['synth', '--rows', '2000', '--out', small, '--seed', 'retry']).code).toBe(0);
    const again = rollmark(['issue', '--vault', vault, '--registry', small, '--recipients', recipients, '--release', release, '--out', path.join(dir, 'out-retry'), '--quiet']);
    findings.push(`re-issuing ${release} after a kill that landed ${landed}: exit ${again.code} ${again.stderr.trim()}`);
    expect(again.code, again.stderr).toBe(0);
    expect(list(path.join(vault, 'releases')).filter((f) => f.startsWith('.')), 'temporary release data left').toEqual([]);
  });

  // A kill after the ledger append leaves the copies complete but (some) still dot-named, without
  // receipts. A plain re-run says what to do; --resume checks them against the ledger and finishes.
  it('a release killed after its ledger entry is finished by issue --resume', async () => {
    expect(killedAfterAppend, 'the kill after the ledger append did not run').not.toBeNull();
    const { release, landed, out } = killedAfterAppend as { release: string; landed: string; out: string };
    expect(landed).toBe('after the ledger append');
    const args = ['issue', '--vault', vault, '--registry', registry, '--recipients', recipients, '--release', release, '--out', out, '--quiet'];
    const unfinished = list(out).filter((f) => /^P[1-7]\.(csv|receipt\.json)$/.test(f)).length < 14;
    const plain = rollmark(args);
    const line = expectOneLineFailure(plain, 'RELEASE_REUSED');
    if (unfinished) expect(line).toMatch(/were not finished .* run the same rollmark issue command with --resume/);
    findings.push(`re-running ${release} after a kill after its ledger append: ${line}`);

    const before = fs.readFileSync(ledger);
    const resumed = rollmark([...args, '--resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(fs.readFileSync(ledger).equals(before), 'resume wrote to the ledger').toBe(true);
    const copies = ledgerEntries(ledger).filter((e) => e.data.release === release && e.type === 'copy');
    expect(copies).toHaveLength(7);
    for (const c of copies) {
      expect(sha256File(path.join(out, `${c.data.recipient}.csv`))).toBe(c.data.sha256);
      const r = rollmark(['verify', '--vault', vault, '--receipt', path.join(out, `${c.data.recipient}.receipt.json`)]);
      expect(r.code, r.stderr).toBe(0);
    }
    expect(list(out).sort()).toEqual(copies.flatMap((c) => [`${c.data.recipient}.csv`, `${c.data.recipient}.receipt.json`]).sort());
    findings.push(`${release}: --resume finished it (${unfinished ? 'it was unfinished' : 'it had finished before the kill'})`);
  });
});
