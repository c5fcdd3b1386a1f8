/**
 * The HTML evidence report as text (no browser): every verdict in both languages, escaping,
 * self-containment, the p-value format and the language default. The browser test
 * (report.browser.test.ts) renders a real report in Chromium.
 */
import { describe, expect, it } from 'vitest';
import { defaultLang, formatPValue, renderHtmlReport } from '../../src/attribution/html.js';
import type { Suspect, TraceReport } from '../../src/attribution/report.js';

function suspect(recipient: string, log10PValue: number, over: Partial<Suspect> = {}): Suspect {
  return {
    recipient,
    name: `Partido ${recipient}`,
    release: 'LN-T-01',
    implicated: log10PValue <= -9,
    pValue: log10PValue < -300 ? 1e-300 : 10 ** log10PValue,
    log10PValue,
    score: log10PValue < -9 ? 900 : -12.5,
    statistic: 'tardos',
    canaries: 1,
    marksObserved: 2000,
    ...over,
  };
}

function report(verdict: TraceReport['verdict'], suspects: Suspect[], over: Partial<TraceReport> = {}): TraceReport {
  return {
    version: 1,
    tool: 'rollmark',
    generatedAt: '2026-03-01T12:00:00.000Z',
    dump: {
      file: 'dump.csv.gz',
      sha256: 'ab'.repeat(32),
      rows: 1234,
      rowsMatched: 1200,
      rowsDuplicate: 10,
      rowsRejected: 4,
      rowsForeign: 20,
      format: { gzip: true, encoding: 'latin1', delimiter: '\t', hasHeader: false, header: null, columns: 23 },
    },
    release: verdict === 'inconclusive' ? null : 'LN-T-01',
    verdict,
    falseAccusationBound: 1e-9,
    recipientsTested: suspects.length,
    suspects,
    releases: [
      {
        release: 'LN-T-01',
        rowsMatched: 1200,
        rowsDuplicate: 10,
        matchedBy: { key: 0, match: [1190, 10] },
        columns: [
          { dump: 0, registry: 'NOMBRE', score: 0.97, header: 'NOMBRE' },
          { dump: 1, registry: 'CALLE', score: 0.83, transform: 'upper' },
          { dump: 2, registry: null, score: 0.1 },
          { dump: 3, registry: 'APE_PAT', score: 1, ambiguousWith: ['APE_MAT'], resolvedBy: 'header' },
        ],
        canariesFound: ['09|0123', '09|0456', '31|0007', '09|0123'],
        canariesObserved: 6,
        classes: [
          { name: 'CALLE:mx-street-types:AVENIDA', observations: 300, ones: 150, dropped: false },
          { name: 'CALLE:whitespace', observations: 1200, ones: 0, dropped: true },
          { name: 'NOMBRE:mx-given-names:MARIA', observations: 120, ones: 58, dropped: false },
          { name: 'canary', observations: 6, ones: 4, dropped: false },
        ],
        singleLeaker: { detectable: verdict !== 'inconclusive', log10PValue: -40, statistic: 'tardos' },
        suspects,
      },
    ],
    signature: 'cd'.repeat(64),
    ...over,
  };
}

const attributed = () =>
  report('attributed', [suspect('PV', -2209.82), suspect('PA', 0), suspect('PB', 0, { statistic: 'llr(0.25)', score: -300 })]);

describe('renderHtmlReport', () => {
  it('says the verdict in one sentence, in English and Spanish', () => {
    const en = renderHtmlReport(attributed(), { lang: 'en' });
    expect(en).toContain('<html lang="en">');
    expect(en).toContain('The dump comes from the copy given to PV (Partido PV) in release LN-T-01');
    expect(en).toContain('1.6 × 10⁻²²¹⁰');
    const es = renderHtmlReport(attributed(), { lang: 'es' });
    expect(es).toContain('<html lang="es">');
    // A language not known is refused, as --lang refuses it, not replaced by the default.
    expect(() => renderHtmlReport(attributed(), { lang: 'fr' as 'es' })).toThrow(/must be es or en, got 'fr'/);
    expect(es).toContain('El volcado proviene de la copia que recibió PV (Partido PV) en la entrega LN-T-01');
    const collusion = report('collusion', [suspect('PA', -30), suspect('PR', -12), suspect('PV', -1)]);
    expect(renderHtmlReport(collusion, { lang: 'en' })).toContain('copies given to PA (Partido PA) and PR (Partido PR) in release LN-T-01');
    expect(renderHtmlReport(collusion, { lang: 'es' })).toContain('PA (Partido PA) y PR (Partido PR)');
    const none = report('no-recipient', [suspect('PA', -1), suspect('PR', 0)]);
    expect(renderHtmlReport(none, { lang: 'en' })).toContain('No recipient is implicated, although a single leaker of release LN-T-01');
    const inc = report('inconclusive', [suspect('PA', 0), suspect('PR', 0)]);
    expect(renderHtmlReport(inc, { lang: 'es' })).toContain('No concluyente');
    expect(renderHtmlReport(inc, { lang: 'en' })).toContain('data-verdict="inconclusive"');
  });

  it('is self-contained: no script, no remote URL, a policy that forbids loading anything', () => {
    for (const lang of ['es', 'en'] as const) {
      const html = renderHtmlReport(attributed(), { lang });
      expect(html).not.toMatch(/<script/i);
      expect(html).not.toMatch(/<link/i);
      expect(html).not.toMatch(/url\((?!#)/);
      // the only URL is the SVG namespace, which is never fetched
      expect(html.match(/https?:\/\/[^\s"'<)]+/g)?.every((u) => u === 'http://www.w3.org/2000/svg')).toBe(true);
      expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`);
      expect(html).toContain('@media print');
    }
  });

  it('escapes every value from the report', () => {
    const r = attributed();
    r.suspects[0].name = '<script>alert(1)</script> & "Co"';
    r.dump.file = '<img src=x onerror=alert(1)>.csv';
    const html = renderHtmlReport(r, { lang: 'en' });
    expect(html).not.toContain('<script>alert(1)');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Co&quot;');
  });

  it('draws the evidence, the null panel, the dump, the families; lists canaries by entidad and section', () => {
    const html = renderHtmlReport(attributed(), { lang: 'es' });
    expect(html).toContain('id="evidence-chart"');
    expect(html.match(/<rect class="bar( implicated)?" data-recipient=/g)?.length).toBe(3);
    expect(html).toContain('class="bound-line"');
    expect(html).toContain('class="null-zone"');
    expect(html).toContain('path class="subject" data-recipient="PV"');
    expect(html).toContain('id="dump-chart"');
    expect(html).toContain('id="marks-chart-0"');
    // canaries: 09 CIUDAD DE MEXICO with sections 0123 (twice) and 0456, 31 YUCATAN with 0007
    expect(html).toMatch(/09 · CIUDAD DE MEXICO<\/td><td><span class="chip" data-group="09\|0123">0123 ×2<\/span> <span class="chip" data-group="09\|0456">0456<\/span><\/td><td class="num">3</);
    expect(html).toContain('31 · YUCATAN');
    // column mapping, with the registry columns the dump lacks
    expect(html).toContain('Columnas del padrón ausentes del volcado: CONSECUTIVO, ELECTOR');
    expect(html).toContain('resuelto por el encabezado');
    // the dump and how to verify
    expect(html).toContain('gzip, Latin-1, separado por tabulador, sin fila de encabezado, 23 columnas');
    expect(html).toContain('rollmark verify --public-key issuer.pub --report report.json');
    expect(html).toContain(`sha256sum dump.csv.gz\n${'ab'.repeat(32)}  dump.csv.gz`);
    expect(html).toContain(`<pre id="signature">${'cd'.repeat(64)}</pre>`);
    expect(html).toContain('id="rows" data-value="1234">1,234<');
  });

  it("counts the dump's rows apart: matched, repeats of a record already counted, foreign, unreadable", () => {
    const es = renderHtmlReport(attributed(), { lang: 'es' });
    const en = renderHtmlReport(attributed(), { lang: 'en' });
    for (const html of [es, en]) {
      expect(html).toContain('id="rows-matched" data-value="1200">1,200<');
      expect(html).toContain('id="rows-duplicate" data-value="10">10<');
      expect(html).toContain('id="rows-foreign" data-value="20">20<');
      expect(html).toContain('id="rows-rejected" data-value="4">4<');
      expect(html).toMatch(/<rect class="bar seg-duplicate"[^>]*><title>[^<]*: 10<\/title>/);
    }
    expect(es).toContain('<th scope="row">Repetidas (registro ya contado)</th>');
    expect(es).toContain('<th scope="row">Ajenas (sin vínculo con un registro de la entrega)</th>');
    expect(en).toContain('<th scope="row">Repeats (a record already counted)</th>');
    expect(en).toContain('<th scope="row">Foreign (matched no record of the release)</th>');
    // A report signed before rowsDuplicate existed: none shown, nothing broken.
    const old = attributed();
    delete (old.dump as Partial<TraceReport['dump']>).rowsDuplicate;
    const html = renderHtmlReport(old, { lang: 'en' });
    expect(html).toContain('id="rows-duplicate" data-value="0">0<');
    expect(html).not.toMatch(/NaN|undefined/);
  });

  it('shows a generic group when the registry is not the mx-ine layout', () => {
    const r = attributed();
    r.releases[0].canariesFound = ['precinct 12', 'precinct 12'];
    r.releases[0].columns = [{ dump: 0, registry: 'street', score: 0.9 }];
    const html = renderHtmlReport(r, { lang: 'en' });
    expect(html).toContain('<td data-group="precinct 12">precinct 12</td><td class="num">2</td>');
    expect(html).not.toContain('Registry columns absent from the dump');
  });

  it('copes with a dump that matched nothing', () => {
    const r = report('inconclusive', [suspect('PA', 0, { marksObserved: 0 }), suspect('PR', 0, { marksObserved: 0 })]);
    r.releases[0].canariesFound = [];
    r.releases[0].canariesObserved = 0;
    r.releases[0].classes = [];
    r.releases[0].columns = [];
    const html = renderHtmlReport(r, { lang: 'en' });
    expect(html).toContain('Inconclusive');
    expect(html).not.toContain('class="null-panel');
    expect(html).toContain('>none<');
  });

  it('draws evidence far beyond the double range (a national dump) without breaking', () => {
    const r = report('attributed', [suspect('PV', -3.5e6), suspect('PA', 0)]);
    const html = renderHtmlReport(r, { lang: 'en' });
    expect(html).toContain('≤ 1.0 × 10⁻³⁵⁰⁰⁰⁰⁰');
    expect(html).not.toMatch(/NaN|Infinity/);
    expect(html).toContain('>10⁻¹⁰⁰⁰⁰⁰⁰⁰<'); // the axis reaches 10^-(10^7)
  });
});

describe('formatPValue', () => {
  it('rounds up to two significant digits, beyond the double range too', () => {
    expect(formatPValue(0)).toBe('1');
    expect(formatPValue(-0.3)).toBe('0.51');
    expect(formatPValue(-1.91)).toBe('0.013');
    expect(formatPValue(-4.5)).toBe('3.2 × 10⁻⁵');
    expect(formatPValue(-9)).toBe('1.0 × 10⁻⁹');
    expect(formatPValue(-2209.82220027509)).toBe('1.6 × 10⁻²²¹⁰');
    expect(formatPValue(-2.00001)).toBe('1.0 × 10⁻²');
    expect(formatPValue(-4.5, 'es-MX')).toBe('3.2 × 10⁻⁵');
  });
});

describe('defaultLang', () => {
  it('follows LC_ALL, then LC_MESSAGES, then LANG', () => {
    expect(defaultLang({ LANG: 'es_MX.UTF-8' })).toBe('es');
    expect(defaultLang({ LANG: 'en_US.UTF-8' })).toBe('en');
    expect(defaultLang({ LC_ALL: 'en_US.UTF-8', LANG: 'es_MX.UTF-8' })).toBe('en');
    expect(defaultLang({ LC_MESSAGES: 'es_ES', LANG: 'C' })).toBe('es');
    expect(defaultLang({})).toBe('en');
  });
});
