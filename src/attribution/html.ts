import { RollmarkError } from '../errors.js';
import type { TraceReport } from './report.js';
import type { ColumnMatch } from './columns.js';
import { MX_INE_COLUMNS, entidadByCode } from '../presets/mx-ine/columns.js';
import { LABELS, Fmt, defaultLang, formatBound, type Labels, type ReportLang } from './html-labels.js';
import { BLUE, GREY, RED, W, dumpChart, evidenceChart, marksChart, nullPanel, type FamilyRow, type Release } from './html-charts.js';
import { esc, who } from './html-text.js';

/**
 * The HTML evidence report: one self-contained file (no remote resources, no script, inline SVG
 * charts, a Content-Security-Policy that forbids loading anything), readable offline and
 * printable, in Spanish or English. It shows the same numbers as the signed JSON report and says
 * how to verify that JSON; the HTML itself is a view, not the evidence.
 *
 * Every figure comes from the report alone, so the page can be re-rendered from a report.json
 * at any time (`renderHtmlReport(JSON.parse(text))`) and checked against it. Numbers a test or a
 * reader may want to compare carry the exact JSON value in a `data-*` attribute.
 * @module
 */

export { defaultLang, formatPValue, type ReportLang } from './html-labels.js';

export interface HtmlReportOptions {
  /** Spanish or English; default from LC_ALL / LC_MESSAGES / LANG (`es*` gives Spanish). */
  lang?: ReportLang;
}

function joinList(items: string[], and: string): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} ${and} ${items[items.length - 1]}`;
}

/** Classes are named COLUMN:family[:token]; 'canary' stands alone. */
function families(rel: Release): FamilyRow[] {
  const byKey = new Map<string, FamilyRow>();
  for (const c of rel.classes) {
    if (c.name === 'canary') continue;
    const parts = c.name.split(':');
    const column = parts.length > 1 ? parts[0] : '';
    const family = parts.length > 1 ? parts[1] : parts[0];
    const key = `${column}:${family}`;
    let f = byKey.get(key);
    if (!f) {
      f = { column, family, classes: 0, dropped: 0, observations: 0, live: 0, ones: 0 };
      byKey.set(key, f);
    }
    f.classes++;
    f.observations += c.observations;
    f.ones += c.ones;
    if (c.dropped) f.dropped++;
    else f.live += c.observations;
  }
  return [...byKey.values()].sort((a, b) => b.observations - a.observations || a.column.localeCompare(b.column));
}

// ---- sections ----------------------------------------------------------------------------------

function isMxIne(rel: Release): boolean {
  const cols = (rel.columns as ColumnMatch[]).filter((c) => c.registry !== null).map((c) => c.registry as string);
  const known = new Set<string>(MX_INE_COLUMNS);
  return cols.length > 0 && cols.every((c) => known.has(c)) && rel.canariesFound.every((g) => /^\d{2}\|\d+$/.test(g));
}

function canarySection(rel: Release, L: Labels, F: Fmt): string {
  const intro = `<p>${esc(L.canariesIntro(F.n(rel.canariesFound.length), F.n(rel.canariesObserved)))}</p>`;
  if (rel.canariesFound.length === 0) return `${intro}<p class="note">${esc(L.none)}</p>`;
  if (isMxIne(rel)) {
    const byEnt = new Map<string, Map<string, number>>();
    for (const g of rel.canariesFound) {
      const [ent, sec] = g.split('|');
      const m = byEnt.get(ent) ?? new Map<string, number>();
      m.set(sec, (m.get(sec) ?? 0) + 1);
      byEnt.set(ent, m);
    }
    const rows = [...byEnt]
      .sort((a, b) => a[0].localeCompare(b[0]))
      .map(([ent, secs]) => {
        const name = entidadByCode(ent)?.name;
        const total = [...secs.values()].reduce((a, b) => a + b, 0);
        const list = [...secs]
          .sort((a, b) => Number(a[0]) - Number(b[0]))
          .map(([sec, k]) => `<span class="chip" data-group="${esc(`${ent}|${sec}`)}">${esc(sec)}${k > 1 ? ` ×${k}` : ''}</span>`)
          .join(' ');
        return `<tr><td>${esc(ent)}${name ? ` · ${esc(name)}` : ''}</td><td>${list}</td><td class="num">${F.n(total)}</td></tr>`;
      })
      .join('');
    return `${intro}<table class="canaries"><thead><tr><th>${esc(L.entidad)}</th><th>${esc(L.sections)}</th><th class="num">${esc(L.count)}</th></tr></thead><tbody>${rows}</tbody></table>`;
  }
  const counts = new Map<string, number>();
  for (const g of rel.canariesFound) counts.set(g, (counts.get(g) ?? 0) + 1);
  const rows = [...counts]
    .sort((a, b) => a[0].localeCompare(b[0]))
    .map(([g, k]) => `<tr><td data-group="${esc(g)}">${esc(g)}</td><td class="num">${F.n(k)}</td></tr>`)
    .join('');
  return `${intro}<table class="canaries"><thead><tr><th>${esc(L.group)}</th><th class="num">${esc(L.count)}</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function marksSection(rel: Release, idx: number, L: Labels, F: Fmt): string {
  const fams = families(rel);
  const famRows = fams
    .map(
      (f) =>
        `<tr${f.live === 0 ? ' class="muted"' : ''}><td>${esc(f.column)}</td><td>${esc(f.family)}</td><td class="num">${F.n(f.classes)}${f.dropped ? ` (${F.n(f.dropped)} ${esc(L.dropped.toLowerCase())})` : ''}</td><td class="num">${F.n(f.observations)}</td><td class="num">${f.observations ? F.pct(f.ones / f.observations) : '–'}</td></tr>`,
    )
    .join('');
  const classRows = rel.classes
    .map(
      (c) =>
        `<tr${c.dropped ? ' class="muted"' : ''}><td class="mono">${esc(c.name)}</td><td class="num">${F.n(c.observations)}</td><td class="num">${F.n(c.ones)}</td><td>${c.dropped ? esc(L.yes) : esc(L.no)}</td></tr>`,
    )
    .join('');
  return `<p>${esc(L.marksIntro)}</p>
${marksChart(fams, idx, L, F)}
${famRows ? `<table class="families"><thead><tr><th>${esc(L.column)}</th><th>${esc(L.family)}</th><th class="num">${esc(L.classes)}</th><th class="num">${esc(L.positions)}</th><th class="num">${esc(L.shortShare)}</th></tr></thead><tbody>${famRows}</tbody></table>` : `<p class="note">${esc(L.none)}</p>`}
${classRows ? `<h4>${esc(L.classDetail)}</h4><table class="classes compact"><thead><tr><th>${esc(L.klass)}</th><th class="num">${esc(L.positions)}</th><th class="num">${esc(L.ones)}</th><th>${esc(L.dropped)}</th></tr></thead><tbody>${classRows}</tbody></table>` : ''}`;
}

function columnsSection(rel: Release, L: Labels, F: Fmt): string {
  const cols = [...(rel.columns as ColumnMatch[])].sort((a, b) => a.dump - b.dump);
  const rows = cols
    .map((c) => {
      const notes: string[] = [];
      if (c.ambiguousWith && c.ambiguousWith.length) notes.push(L.ambiguous(c.ambiguousWith.join(', ')));
      if (c.resolvedBy) notes.push(L.resolvedBy[c.resolvedBy] ?? c.resolvedBy);
      const score = Number(c.score);
      const bar = Number.isFinite(score)
        ? `<svg class="minibar" viewBox="0 0 60 8" width="60" height="8" aria-hidden="true"><rect x="0" y="0" width="60" height="8" fill="#e6e9ee"/><rect class="bar" x="0" y="0" width="${Math.max(1, Math.min(1, score) * 60).toFixed(1)}" height="8" fill="${c.registry === null ? GREY : BLUE}"/></svg> `
        : '';
      return `<tr${c.registry === null ? ' class="muted"' : ''}><td class="num">${F.n(c.dump + 1)}</td><td class="mono">${esc(c.header ?? '')}</td><td>${c.registry === null ? `<em>${esc(L.notRecognised)}</em>` : `<strong>${esc(c.registry)}</strong>`}</td><td class="num">${bar}${Number.isFinite(score) ? F.d(score, 2) : ''}</td><td class="mono">${esc(c.transform ?? '')}</td><td>${esc(notes.join('; '))}</td></tr>`;
    })
    .join('');
  let missing = '';
  if (isMxIne(rel)) {
    const present = new Set(cols.map((c) => c.registry));
    const absent = MX_INE_COLUMNS.filter((c) => !present.has(c));
    if (absent.length) missing = `<p>${esc(L.notInDump(absent.join(', ')))}</p>`;
  }
  return `<p>${esc(L.columnsIntro)}</p>${missing}<table class="columns compact"><thead><tr><th class="num">${esc(L.dumpColumn)}</th><th>${esc(L.header)}</th><th>${esc(L.registryColumn)}</th><th class="num">${esc(L.contentScore)}</th><th>${esc(L.transform)}</th><th>${esc(L.resolved)}</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function releaseSection(rel: Release, idx: number, L: Labels, F: Fmt): string {
  const sets = rel.matchedBy.match.map((k, i) => L.matchSet(i, F.n(k))).join(', ') || '–';
  return `<section class="release" data-release="${esc(rel.release)}">
<h2>${esc(L.releaseHeading(rel.release))}</h2>
<p>${esc(L.releaseRows(F.n(rel.rowsMatched), F.n(rel.rowsDuplicate)))} ${esc(L.matchedBy(F.n(rel.matchedBy.key), sets))}</p>
<p>${esc(L.power(`≤ ${F.p(rel.singleLeaker.log10PValue)}`, rel.singleLeaker.detectable))}</p>
${rel.scoring !== undefined && rel.scoring.share < 1 ? `<p id="scoring-${idx}">${esc(L.scoring(F.n(rel.scoring.recordsScored), F.pct(rel.scoring.share), F.n(rel.scoring.budget ?? 0)))}</p>` : ''}
<h3>${esc(L.canariesHeading)}</h3>
${canarySection(rel, L, F)}
<h3>${esc(L.marksHeading)}</h3>
${marksSection(rel, idx, L, F)}
<h3>${esc(L.columnsHeading)}</h3>
${columnsSection(rel, L, F)}
</section>`;
}

function verdictSentence(report: TraceReport, L: Labels, F: Fmt): string {
  const implicated = report.suspects.filter((s) => s.implicated);
  const rel = report.release ?? '–';
  switch (report.verdict) {
    case 'attributed':
      return L.attributed(who(implicated[0] ?? report.suspects[0]), rel, F.p((implicated[0] ?? report.suspects[0]).log10PValue));
    case 'collusion':
      return L.collusion(
        joinList(implicated.map(who), L.and),
        rel,
        F.p(Math.max(...implicated.map((s) => s.log10PValue))),
      );
    case 'no-recipient':
      return L.noRecipient(rel);
    default:
      return L.inconclusive;
  }
}

const CSS = `
:root{--ink:#1d232b;--muted:#5b6673;--rule:#dfe4ea;--red:${RED};--blue:${BLUE}}
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;margin:0 auto;max-width:1000px;color:var(--ink);padding:1.5rem 1.25rem 3rem;line-height:1.45;font-size:15px;-webkit-print-color-adjust:exact;print-color-adjust:exact}
header{border-bottom:3px solid var(--ink);padding-bottom:.6rem;margin-bottom:1rem}
h1{font-size:1.55rem;margin:0 0 .2rem}h2{font-size:1.2rem;border-bottom:1px solid var(--rule);padding-bottom:.2rem;margin:2rem 0 .6rem}
h3{font-size:1.02rem;margin:1.4rem 0 .4rem}h4{font-size:.92rem;margin:1rem 0 .3rem;color:var(--muted)}
.sub{color:var(--muted);margin:0}
.verdict{font-size:1.15rem;padding:.9rem 1rem;border-left:7px solid var(--vc);background:#f4f6f8;margin:0 0 1rem}
.verdict .badge{display:inline-block;font-size:.78rem;font-weight:700;letter-spacing:.04em;text-transform:uppercase;color:#fff;background:var(--vc);border-radius:3px;padding:.1rem .45rem;margin-right:.5rem;vertical-align:.12rem}
dl.facts{display:grid;grid-template-columns:repeat(auto-fit,minmax(210px,1fr));gap:.4rem 1.2rem;margin:0 0 1rem}
dl.facts div{border-top:1px solid var(--rule);padding-top:.3rem}dl.facts dt{font-size:.78rem;color:var(--muted);text-transform:uppercase;letter-spacing:.03em}dl.facts dd{margin:0;font-weight:600;overflow-wrap:anywhere}
table{border-collapse:collapse;width:100%;font-size:.88rem;margin:.5rem 0}
th,td{border-bottom:1px solid var(--rule);padding:.28rem .5rem;text-align:left;vertical-align:top}
th{font-size:.78rem;color:var(--muted);font-weight:600;border-bottom:1.5px solid #b9c2cc}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.compact{font-size:.8rem}table.compact td,table.compact th{padding:.18rem .45rem}
tr.hit td{font-weight:650;color:var(--red)}tr.muted td{color:#8a94a0}
.mono,code,pre{font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,monospace;font-size:.82rem}
.mono{overflow-wrap:anywhere}
pre{background:#f4f6f8;border:1px solid var(--rule);padding:.55rem .75rem;white-space:pre-wrap;overflow-wrap:anywhere;margin:.3rem 0 .8rem}
figure{margin:.8rem 0 1.2rem}figcaption{font-size:.84rem;color:var(--muted);margin-top:.3rem}
svg.chart{display:block;width:100%;height:auto;max-width:${W}px;font-family:inherit}
svg .tick{font-size:11px;fill:var(--muted)}svg .axis{font-size:11.5px;fill:var(--muted)}svg .label{font-size:12px;fill:var(--ink)}
svg .value{font-size:11.5px;fill:var(--ink)}svg .hit{fill:var(--red);font-weight:650}svg .inbar{font-size:12px;fill:#fff;font-weight:600}
svg.minibar{vertical-align:middle}
ul.legend{list-style:none;padding:0;margin:.35rem 0 0;display:flex;flex-wrap:wrap;gap:.25rem 1.1rem;font-size:.8rem;color:var(--muted)}
.sw{display:inline-block;width:.95rem;height:.65rem;margin-right:.35rem;vertical-align:middle;border-radius:2px}
.sw.line{height:0;border-top:2px dashed var(--blue);border-radius:0}
.sw.zone{background:linear-gradient(90deg,rgba(107,119,133,.35),rgba(107,119,133,0))}
.sw.hatch{background:repeating-linear-gradient(45deg,#e6e9ee 0 3px,#b5bdc7 3px 5px)}
.chip{display:inline-block;font-variant-numeric:tabular-nums;background:#eef1f5;border-radius:3px;padding:0 .35rem;margin:1px 0;font-size:.8rem}
.note{color:var(--muted);font-size:.85rem}
footer{margin-top:2.5rem;border-top:1px solid var(--rule);padding-top:.5rem;color:var(--muted);font-size:.78rem}
@page{size:A4;margin:14mm 12mm}
@media print{body{max-width:none;padding:0;font-size:10pt}h2{break-after:avoid}h3{break-after:avoid}figure,.verdict,dl.facts,pre{break-inside:avoid}tr{break-inside:avoid}section.release{break-before:page}}
`;

/**
 * Renders a trace report as one self-contained HTML page (Spanish or English): the verdict in a
 * sentence, the bound per recipient beside where innocent recipients land, the implicated
 * recipient's statistic against the innocent null, the dump's rows, the canaries found by entidad
 * and section, the marks read per family, the column mapping, and how to verify the signed JSON.
 */
export function renderHtmlReport(report: TraceReport, opts: HtmlReportOptions = {}): string {
  // A language asked for and not known is refused, not silently replaced (as the CLI's --lang).
  if (opts.lang !== undefined && opts.lang !== 'es' && opts.lang !== 'en') {
    throw new RollmarkError('USAGE', `the report language must be es or en, got '${String(opts.lang)}'`);
  }
  const lang: ReportLang = opts.lang ?? defaultLang();
  const L = LABELS[lang];
  const F = new Fmt(L.locale);
  const implicated = report.suspects.filter((s) => s.implicated);
  const top = report.suspects[0];
  const rel = report.release ?? '–';
  const verdictColor =
    report.verdict === 'inconclusive' ? GREY : report.verdict === 'no-recipient' ? BLUE : RED;
  const bound = formatBound(report.falseAccusationBound, L.locale);
  const releases = report.releases as Release[];
  const relOf = (name: string) => releases.find((r) => r.release === name);
  const generated = new Date(report.generatedAt);
  const generatedText = Number.isNaN(generated.getTime())
    ? report.generatedAt
    : `${generated.toLocaleString(L.locale, { timeZone: 'UTC', dateStyle: 'long', timeStyle: 'long' })}`;

  const facts = `<dl class="facts">
<div><dt>${esc(L.facts.release)}</dt><dd id="fact-release">${esc(rel)}</dd></div>
<div><dt>${esc(L.facts.implicated)}</dt><dd id="fact-implicated">${esc(implicated.length ? implicated.map(who).join(', ') : L.none)}</dd></div>
<div><dt>${esc(L.facts.strongest)}</dt><dd>${top ? `${esc(top.recipient)}: p ≤ ${esc(F.p(top.log10PValue))}` : '–'}</dd></div>
<div><dt>${esc(L.facts.bound)}</dt><dd id="fact-bound" data-bound="${report.falseAccusationBound}">${esc(bound)}</dd></div>
<div><dt>${esc(L.facts.rows)}</dt><dd>${F.n(report.dump.rowsMatched)} / ${F.n(report.dump.rows)}</dd></div>
<div><dt>${esc(L.facts.generated)}</dt><dd>${esc(generatedText)}</dd></div>
</dl>`;

  const suspectRows = report.suspects
    .map(
      (s) =>
        `<tr class="suspect${s.implicated ? ' hit' : ''}" data-recipient="${esc(s.recipient)}" data-release="${esc(s.release)}" data-implicated="${s.implicated}"><td>${esc(s.recipient)}</td><td>${esc(s.name)}</td>${releases.length > 1 ? `<td>${esc(s.release)}</td>` : ''}<td class="num pvalue" data-p="${s.pValue}" data-log10p="${s.log10PValue}">≤ ${esc(F.p(s.log10PValue))}</td><td class="num">${F.d(s.log10PValue, 2)}</td><td class="mono">${esc(s.statistic)}</td><td class="num">${F.d(s.statisticValue ?? s.score, 2)}</td><td class="num">${F.n(s.canaries)}</td><td>${s.implicated ? `<strong>${esc(L.yes)}</strong>` : esc(L.no)}</td></tr>`,
    )
    .join('\n');

  const nullSubjects = implicated.length ? implicated : top && top.marksObserved + (relOf(top.release)?.canariesObserved ?? 0) > 0 ? [top] : [];
  const nullPanels = nullSubjects.map((s, i) => nullPanel(s, relOf(s.release), report, L, F, i)).join('\n');

  const d = report.dump;
  const dumpFile = d.file || 'dump';
  return `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="rollmark">
<title>${esc(L.title)} · ${esc(rel)}</title>
<style>${CSS}</style></head><body style="--vc:${verdictColor}">
<header><h1>${esc(L.title)}</h1><p class="sub">${esc(L.subtitle(report.release, dumpFile))}</p></header>
<section id="verdict-section">
<h2>${esc(L.verdictHeading)}</h2>
<p class="verdict" id="verdict" data-verdict="${esc(report.verdict)}" data-release="${esc(report.release ?? '')}"><span class="badge">${esc(L.verdictName[report.verdict] ?? report.verdict)}</span>${esc(verdictSentence(report, L, F))}</p>
${facts}
</section>
<section id="evidence">
<h2>${esc(L.evidenceHeading)}</h2>
${report.suspects.length ? evidenceChart(report, L, F) : `<p class="note">${esc(L.none)}</p>`}
<h3>${esc(L.suspectsTable)}</h3>
<table id="suspects"><thead><tr><th>${esc(L.recipient)}</th><th>${esc(L.name)}</th>${releases.length > 1 ? `<th>${esc(L.release)}</th>` : ''}<th class="num">${esc(L.pvalue)}</th><th class="num">${esc(L.log10)}</th><th>${esc(L.statistic)}</th><th class="num">${esc(L.value)}</th><th class="num">${esc(L.canaries)}</th><th>${esc(L.implicated)}</th></tr></thead>
<tbody>${suspectRows}</tbody></table>
<p class="note">${esc(L.valueNote)}</p>
<h3>${esc(L.bound)}</h3><p>${esc(L.boundText(bound, report.recipientsTested))}</p>
</section>
${nullSubjects.length ? `<section id="null"><h2>${esc(implicated.length ? L.nullHeading : L.nullHeadingNone)}</h2><p>${esc(L.nullIntro)}</p>${implicated.length ? '' : `<p class="note">${esc(L.nullNotImplicated)}</p>`}${nullPanels}</section>` : ''}
<section id="dump">
<h2>${esc(L.dumpHeading)}</h2>
${dumpChart(report, L, F)}
<table class="dump"><tbody>
<tr><th scope="row">${esc(L.file)}</th><td class="mono">${esc(dumpFile)}</td></tr>
<tr><th scope="row">${esc(L.sha256)}</th><td class="mono" id="dump-sha256">${esc(d.sha256)}</td></tr>
<tr><th scope="row">${esc(L.format)}</th><td>${esc(L.formatText(d.format))}</td></tr>
<tr><th scope="row">${esc(L.rows)}</th><td class="num" id="rows" data-value="${d.rows}">${F.n(d.rows)}</td></tr>
<tr><th scope="row">${esc(L.matched)}</th><td class="num" id="rows-matched" data-value="${d.rowsMatched}">${F.n(d.rowsMatched)}</td></tr>
<tr><th scope="row">${esc(L.duplicate)}</th><td class="num" id="rows-duplicate" data-value="${d.rowsDuplicate ?? 0}">${F.n(d.rowsDuplicate ?? 0)}</td></tr>
<tr><th scope="row">${esc(L.foreign)}</th><td class="num" id="rows-foreign" data-value="${d.rowsForeign}">${F.n(d.rowsForeign)}</td></tr>
<tr><th scope="row">${esc(L.rejected)}</th><td class="num" id="rows-rejected" data-value="${d.rowsRejected}">${F.n(d.rowsRejected)}</td></tr>
</tbody></table>
</section>
${releases.map((r, i) => releaseSection(r, i, L, F)).join('\n')}
<section id="verify">
<h2>${esc(L.verifyHeading)}</h2>
<ol>
<li>${esc(L.verifyStep1)}<pre>rollmark verify --public-key issuer.pub --report report.json</pre>${esc(L.verifyExit)}</li>
<li>${esc(L.verifyStep2(dumpFile))}<pre>sha256sum ${esc(dumpFile)}\n${esc(d.sha256)}  ${esc(dumpFile)}</pre></li>
<li>${esc(L.verifyStep3)}</li>
</ol>
<p>${esc(L.signature)} ${esc(L.signedOver)}:</p>
<pre id="signature">${esc(report.signature)}</pre>
</section>
<footer>${esc(L.footer(report.tool ?? 'rollmark', report.version, report.generatedAt))}</footer>
</body></html>
`;
}
