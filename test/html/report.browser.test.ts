/**
 * The HTML evidence report in a real browser: a report made end to end through the library
 * (synthetic registry, vault, release, simulated leak, trace) is rendered in headless Chromium.
 * Checks that the charts are drawn, that the numbers on the page are the JSON's, that the page
 * asks for nothing beyond its own file, and that it prints; saves screenshots and a PDF under
 * test-output/ (git-ignored) for a human to look at.
 *
 * Needs Debian's chromium at /usr/bin/chromium (`apt-get install -y chromium`; .ci/run installs
 * it when missing), or another Chromium named by ROLLMARK_CHROMIUM. Without it only this file
 * skips, saying why.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { issueFixture, type Issued } from '../e2e/fixture.js';
import { simulateLeak, parseAttacks } from '../../src/lab/simulate.js';
import { traceDump } from '../../src/attribution/trace.js';
import { renderHtmlReport } from '../../src/attribution/html.js';
import { verifyDocument } from '../../src/vault/documents.js';
import type { TraceReport } from '../../src/attribution/report.js';

const CHROMIUM = process.env.ROLLMARK_CHROMIUM || '/usr/bin/chromium';
const HAVE_CHROMIUM = fs.existsSync(CHROMIUM);
const OUTPUT = fileURLToPath(new URL('../../test-output/', import.meta.url));
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];

if (!HAVE_CHROMIUM) {
  console.warn(`report.browser.test: skipped, ${CHROMIUM} is missing (install it with: apt-get update && apt-get install -y chromium)`);
}

const SUP: Record<string, string> = { '⁰': '0', '¹': '1', '²': '2', '³': '3', '⁴': '4', '⁵': '5', '⁶': '6', '⁷': '7', '⁸': '8', '⁹': '9', '⁻': '-' };

/** log10 of a p-value as the page prints it: `≤ 1`, `≤ 0.013`, `≤ 1.6 × 10⁻²²¹⁰`. */
function parseShownLog10(text: string): number {
  const t = text.replace('≤', '').trim();
  const m = /^([0-9.,]+)\s*×\s*10([⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+)$/.exec(t);
  if (m) {
    const exp = Number([...m[2]].map((c) => SUP[c]).join(''));
    return Math.log10(Number(m[1].replace(',', '.'))) + exp;
  }
  return Math.log10(Number(t.replace(/,/g, '')));
}

function digits(text: string | null): number {
  return Number((text ?? '').replace(/[^0-9]/g, ''));
}

describe.skipIf(!HAVE_CHROMIUM)(`HTML evidence report in headless Chromium (${CHROMIUM})`, () => {
  let fx: Issued;
  let browser: Browser;
  let attributed: TraceReport;
  let collusion: TraceReport;

  beforeAll(async () => {
    const { chromium } = await import('playwright-core');
    // launch() gives every browser a fresh temporary profile (its own --user-data-dir).
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    fx = await issueFixture(15_000, { recipients: 5, seed: 'html-report' });
    const one = path.join(fx.dir, 'filtracion.tsv.gz');
    await simulateLeak({
      copies: [fx.copy('P3')],
      attacks: parseAttacks('sample:0.1,drop:ELECTOR+CURP+OCR+FOL_NAC,normalize:upper+accents+whitespace,shuffle-rows,shuffle-columns'),
      seed: 'html-leak',
      out: one,
      format: { delimiter: '\t', encoding: 'latin1', gzip: true },
    });
    attributed = await traceDump({ vault: fx.vault, dump: one, now: () => new Date('2026-03-02T09:30:00Z') });
    const many = path.join(fx.dir, 'mezcla.csv');
    await simulateLeak({ copies: [fx.copy('P1'), fx.copy('P4')], attacks: parseAttacks('collude:random,sample:0.5'), seed: 'html-collusion', out: many });
    collusion = await traceDump({ vault: fx.vault, dump: many, now: () => new Date('2026-03-02T09:30:00Z') });
    await fsp.mkdir(OUTPUT, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    if (fx) await fsp.rm(fx.dir, { recursive: true, force: true });
  });

  /** Opens a report's HTML from a file, blocking and recording every request that is not the file. */
  async function open(report: TraceReport, lang: 'es' | 'en', name: string) {
    const file = path.join(fx.dir, `${name}.html`);
    await fsp.writeFile(file, renderHtmlReport(report, { lang }));
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const requests: string[] = [];
    const blocked: string[] = [];
    const problems: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(String(e)));
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:')) return route.continue();
      blocked.push(url);
      return route.abort();
    });
    const url = pathToFileURL(file).href;
    await page.goto(url, { waitUntil: 'load' });
    return { page, url, requests, blocked, problems, file };
  }

  async function checkCharts(page: Page, report: TraceReport): Promise<void> {
    const charts = page.locator('svg.chart');
    expect(await charts.count()).toBeGreaterThanOrEqual(3); // evidence, null panel(s), dump, marks
    for (const chart of await charts.all()) {
      expect(await chart.isVisible()).toBe(true);
      const box = await chart.boundingBox();
      expect(box!.width).toBeGreaterThan(100);
      expect(box!.height).toBeGreaterThan(20);
    }
    const bars = page.locator('#evidence-chart rect.bar');
    expect(await bars.count()).toBe(Math.min(report.suspects.length, 30));
    const widths = new Map<string, number>();
    for (const bar of await bars.all()) {
      const box = await bar.boundingBox();
      expect(box!.width).toBeGreaterThan(0);
      expect(box!.height).toBeGreaterThan(0);
      const who = (await bar.getAttribute('data-recipient'))!;
      const s = report.suspects.find((x) => x.recipient === who)!;
      expect(Number(await bar.getAttribute('data-log10p'))).toBe(s.log10PValue);
      widths.set(who, box!.width);
    }
    // an implicated recipient's bar reaches past the bound line; everyone else's stays short of it
    const line = await page.locator('#evidence-chart .bound-line').boundingBox();
    const chartBox = await page.locator('#evidence-chart').boundingBox();
    for (const s of report.suspects) {
      const bar = await page.locator(`#evidence-chart rect.bar[data-recipient="${s.recipient}"]`).boundingBox();
      if (s.implicated) expect(bar!.x + bar!.width).toBeGreaterThan(line!.x);
      else expect(bar!.x + bar!.width).toBeLessThan(line!.x + 1);
    }
    expect(line!.x).toBeGreaterThan(chartBox!.x);
    // the implicated recipients' statistics against the innocent null, one panel each
    const implicated = report.suspects.filter((s) => s.implicated);
    const subjects = page.locator('figure.null-panel path.subject');
    expect(await subjects.count()).toBe(implicated.length);
    for (const s of implicated) {
      const mark = page.locator(`figure.null-panel path.subject[data-recipient="${s.recipient}"]`);
      expect(await mark.isVisible()).toBe(true);
      expect(Number(await mark.getAttribute('data-score'))).toBe(s.score);
    }
    expect(await page.locator('figure.null-panel .null-curve').first().isVisible()).toBe(true);
    // every family chart bar has a size
    for (const bar of await page.locator('svg[id^="marks-chart"] rect.bar').all()) {
      const box = await bar.boundingBox();
      expect(box!.width).toBeGreaterThan(0);
    }
  }

  async function checkNumbers(page: Page, report: TraceReport): Promise<void> {
    const verdict = page.locator('#verdict');
    expect(await verdict.getAttribute('data-verdict')).toBe(report.verdict);
    const sentence = (await verdict.textContent())!;
    for (const s of report.suspects.filter((x) => x.implicated)) expect(sentence).toContain(s.recipient);
    if (report.release) expect(sentence).toContain(report.release);
    expect(digits(await page.locator('#rows').textContent())).toBe(report.dump.rows);
    expect(digits(await page.locator('#rows-matched').textContent())).toBe(report.dump.rowsMatched);
    expect(digits(await page.locator('#rows-duplicate').textContent())).toBe(report.dump.rowsDuplicate);
    expect(digits(await page.locator('#rows-foreign').textContent())).toBe(report.dump.rowsForeign);
    // Every row read is one of these.
    expect(report.dump.rowsMatched + report.dump.rowsDuplicate + report.dump.rowsForeign + report.dump.rowsRejected).toBe(report.dump.rows);
    expect(digits(await page.locator('#rows-rejected').textContent())).toBe(report.dump.rowsRejected);
    expect((await page.locator('#dump-sha256').textContent())!.trim()).toBe(report.dump.sha256);
    expect((await page.locator('#signature').textContent())!.trim()).toBe(report.signature);
    // the suspects table, in the report's order, with the p-values the JSON gives
    const rows = page.locator('#suspects tr.suspect');
    expect(await rows.count()).toBe(report.suspects.length);
    for (let i = 0; i < report.suspects.length; i++) {
      const s = report.suspects[i];
      const row = rows.nth(i);
      expect(await row.getAttribute('data-recipient')).toBe(s.recipient);
      expect(await row.getAttribute('data-implicated')).toBe(String(s.implicated));
      const cell = row.locator('td.pvalue');
      expect(Number(await cell.getAttribute('data-log10p'))).toBe(s.log10PValue);
      expect(Number(await cell.getAttribute('data-p'))).toBe(s.pValue);
      const shown = parseShownLog10((await cell.textContent())!);
      // two significant digits, rounded up: never smaller than the bound, at most 0.05 decades above
      expect(shown).toBeGreaterThanOrEqual(s.log10PValue - 1e-9);
      expect(shown - s.log10PValue).toBeLessThan(0.05);
    }
    // canaries found, by entidad and section
    for (const g of report.releases.flatMap((r) => r.canariesFound)) {
      expect(await page.locator(`[data-group="${g}"]`).count()).toBeGreaterThan(0);
    }
    // how to verify
    expect(await page.locator('#verify pre').first().textContent()).toContain('rollmark verify --public-key issuer.pub --report report.json');
  }

  it('makes a real, signed report to render', () => {
    expect(verifyDocument(attributed, fx.vault.publicKey)).toBe(true);
    expect(attributed.verdict).toBe('attributed');
    expect(attributed.suspects[0].recipient).toBe('P3');
    expect(collusion.verdict).toBe('collusion');
  });

  it('shows an attribution in Spanish: charts drawn, numbers from the JSON, nothing fetched, printable', async () => {
    const { page, url, requests, blocked, problems } = await open(attributed, 'es', 'report-es');
    try {
      expect(await page.locator('html').getAttribute('lang')).toBe('es');
      expect(await page.title()).toContain('Informe de evidencia');
      await checkCharts(page, attributed);
      await checkNumbers(page, attributed);
      expect(await page.locator('#verdict').textContent()).toContain('El volcado proviene de la copia');
      await page.screenshot({ path: path.join(OUTPUT, 'report-es.png'), fullPage: true });
      await page.emulateMedia({ media: 'print' });
      const pdf = await page.pdf({ path: path.join(OUTPUT, 'report-es.pdf'), format: 'A4', printBackground: true });
      expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
      expect(blocked).toEqual([]);
      expect(requests).toEqual([url]);
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('shows a collusion in English with one null panel per colluder', async () => {
    const { page, url, requests, blocked, problems } = await open(collusion, 'en', 'report-en');
    try {
      expect(await page.locator('html').getAttribute('lang')).toBe('en');
      await checkCharts(page, collusion);
      await checkNumbers(page, collusion);
      expect(await page.locator('#verdict').textContent()).toContain('The dump combines the copies given to');
      await page.screenshot({ path: path.join(OUTPUT, 'report-en.png'), fullPage: true });
      expect(blocked).toEqual([]);
      expect(requests).toEqual([url]);
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('blocks a remote resource even when one is injected (the page forbids loading anything)', async () => {
    const html = renderHtmlReport(attributed, { lang: 'en' }).replace('</body>', '<img src="https://example.invalid/x.png"></body>');
    const file = path.join(fx.dir, 'injected.html');
    await fsp.writeFile(file, html);
    const page = await browser.newPage();
    const routed: string[] = [];
    const failed: string[] = [];
    const violations: string[] = [];
    page.on('requestfailed', (r) => failed.push(`${r.url()} ${r.failure()?.errorText}`));
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy/.test(m.text())) violations.push(m.text());
    });
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:')) return route.continue();
      routed.push(url);
      return route.abort();
    });
    try {
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
      // the page's Content-Security-Policy stops the request inside the browser: it never
      // reaches the network layer (not even our interception)
      expect(routed).toEqual([]);
      expect(failed).toEqual(['https://example.invalid/x.png csp']);
      expect(violations.length).toBe(1);
    } finally {
      await page.close();
    }
  });
});
