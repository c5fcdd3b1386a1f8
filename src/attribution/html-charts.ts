import type { TraceReport, Suspect, ReleaseEvidence } from './report.js';
import { formatBound, pow10, type Fmt, type Labels } from './html-labels.js';
import { esc, who } from './html-text.js';

/**
 * The inline SVG charts of the HTML evidence report (html.ts): the bound per recipient, the
 * implicated recipient's score against the innocent null, the dump's rows, the marks read per
 * family. Each returns a `<figure>` with its caption and legend; none loads anything.
 * @module
 */

export type Release = ReleaseEvidence & { suspects: Suspect[] };

function truncate(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}

/** About `count` round tick values covering [lo, hi]. */
function niceTicks(lo: number, hi: number, count = 6): number[] {
  const span = hi - lo;
  if (!(span > 0)) return [lo];
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => span / s <= count) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

export const RED = '#b3261e';
export const GREY = '#6b7785';
export const BLUE = '#1a56c4';
const LIGHT = '#c9d3de';
export const W = 760;
const MAX_BARS = 30;

function svgOpen(id: string, title: string, h: number): string {
  return `<svg id="${id}" class="chart" role="img" aria-labelledby="${id}-t" viewBox="0 0 ${W} ${h}" width="${W}" height="${h}" xmlns="http://www.w3.org/2000/svg"><title id="${id}-t">${esc(title)}</title>`;
}

/** -log10 p per recipient on a log(1 + x) axis, the bound as a line, the innocent zone shaded. */
export function evidenceChart(report: TraceReport, L: Labels, F: Fmt): string {
  const shown = report.suspects.slice(0, MAX_BARS);
  const vb = -Math.log10(report.falseAccusationBound);
  const left = 190;
  const right = 150;
  const plotW = W - left - right;
  const axis = new PAxis(left, plotW, report);
  const x = (v: number) => axis.x(v);
  const barH = 18;
  const gap = 8;
  const top = 8;
  const plotH = shown.length * (barH + gap);
  const H = top + plotH + 46;
  const parts: string[] = [svgOpen('evidence-chart', L.chartTitle, H)];
  parts.push(
    `<defs><linearGradient id="null-zone" x1="0" x2="1" y1="0" y2="0"><stop offset="0" stop-color="${GREY}" stop-opacity="0.35"/><stop offset="1" stop-color="${GREY}" stop-opacity="0"/></linearGradient></defs>`,
  );
  // where innocent recipients land: from p = 1 to p = 1e-4, fading
  parts.push(`<rect class="null-zone" x="${x(0)}" y="${top - 4}" width="${(x(4) - x(0)).toFixed(1)}" height="${plotH + 4}" fill="url(#null-zone)"/>`);
  parts.push(axis.grid(top - 4, top + plotH));
  parts.push(`<line x1="${left}" y1="${top + plotH}" x2="${left + plotW}" y2="${top + plotH}" stroke="#8a96a3"/>`);
  shown.forEach((s, i) => {
    const y = top + i * (barH + gap);
    const v = -s.log10PValue;
    const w = Math.max(2, x(v) - left);
    parts.push(
      `<text x="${left - 8}" y="${y + 13}" text-anchor="end" class="label${s.implicated ? ' hit' : ''}">${esc(truncate(who(s), 28))}</text>`,
      `<rect class="bar${s.implicated ? ' implicated' : ''}" data-recipient="${esc(s.recipient)}" data-release="${esc(s.release)}" data-log10p="${s.log10PValue}" x="${left}" y="${y}" width="${w.toFixed(1)}" height="${barH}" rx="2" fill="${s.implicated ? RED : GREY}"/>`,
      `<text x="${(left + w + 6).toFixed(1)}" y="${y + 13}" class="value${s.implicated ? ' hit' : ''}">≤ ${esc(F.p(s.log10PValue))}</text>`,
    );
  });
  const bx = x(vb).toFixed(1);
  parts.push(
    `<line class="bound-line" x1="${bx}" y1="${top - 6}" x2="${bx}" y2="${top + plotH + 2}" stroke="${BLUE}" stroke-width="2" stroke-dasharray="5 3"/>`,
    `<text x="${left + plotW / 2}" y="${H - 8}" text-anchor="middle" class="axis">${esc(L.chartAxis)}</text>`,
    '</svg>',
  );
  const legend = `<ul class="legend">
<li><span class="sw" style="background:${RED}"></span>${esc(L.legendImplicated)}</li>
<li><span class="sw" style="background:${GREY}"></span>${esc(L.legendOther)}</li>
<li><span class="sw line"></span>${esc(L.legendBound(formatBound(report.falseAccusationBound, F.locale), report.recipientsTested))}</li>
<li><span class="sw zone"></span>${esc(L.legendNull)}</li></ul>`;
  const more = report.suspects.length > shown.length ? `<p class="note">${esc(L.moreSuspects(report.suspects.length - shown.length))}</p>` : '';
  return `<figure class="chart-figure">${parts.join('')}<figcaption>${esc(L.chartTitle)}</figcaption>${legend}${more}</figure>`;
}

/**
 * The -log10 p axis of the evidence charts: log(1 + x) so that the bound (x = 9) and thousands
 * of decades both fit; ticks at p = 1, 10^-1, 10^-10, 10^-100, ...
 */
class PAxis {
  readonly ticks: number[];
  private readonly denom: number;
  constructor(
    readonly left: number,
    readonly width: number,
    report: TraceReport,
  ) {
    const vb = -Math.log10(report.falseAccusationBound);
    const vmax = Math.max(vb * 3, 10, ...report.suspects.map((s) => -s.log10PValue).filter(Number.isFinite));
    const topExp = Math.min(300, Math.max(1, Math.ceil(Math.log10(vmax))));
    this.denom = Math.log10(1 + 10 ** topExp);
    // (10^-1 sits too close to 1 once the axis spans three decades or more)
    this.ticks = [0, ...Array.from({ length: topExp + 1 }, (_, k) => 10 ** k).filter((v) => v > 1 || topExp < 3)];
  }
  x(v: number): number {
    return this.left + Math.min(1, Math.log10(1 + Math.max(0, v)) / this.denom) * this.width;
  }
  grid(y0: number, y1: number): string {
    return this.ticks
      .map((v) => {
        const tx = this.x(v).toFixed(1);
        return `<line x1="${tx}" y1="${y0}" x2="${tx}" y2="${y1}" stroke="#e4e8ee"/><text x="${tx}" y="${y1 + 14}" text-anchor="middle" class="tick">${v === 0 ? '1' : pow10(-v)}</text>`;
      })
      .join('');
  }
}

/** One implicated (or top) recipient's evidence placed against the innocent null. */
export function nullPanel(s: Suspect, rel: Release | undefined, report: TraceReport, L: Labels, F: Fmt, idx: number): string {
  const n = s.marksObserved + (rel?.canariesObserved ?? 0);
  if (n <= 0) return `<p class="note">${esc(L.nullNoEvidence)}</p>`;
  // `score` is every recipient's symmetric Tardos score, whose innocent law is known exactly.
  return tardosPanel(s, n, rel, report, L, F, idx);
}

/**
 * The symmetric Tardos score against its null: for an innocent recipient each term has mean 0
 * and variance 1 (scores.ts), so over n positions the score has mean 0 and sd sqrt(n), exactly.
 * The bell is drawn for orientation only; the bound comes from the exact distribution.
 */
function tardosPanel(s: Suspect, n: number, rel: Release | undefined, report: TraceReport, L: Labels, F: Fmt, idx: number): string {
  const peers = (rel?.suspects ?? report.suspects.filter((o) => o.release === s.release)).filter(
    (o) => o.recipient !== s.recipient && o.release === s.release,
  );
  const sd = Math.sqrt(n);
  const values = [s.score, ...peers.map((p) => p.score)];
  let lo = Math.min(-4 * sd, ...values);
  let hi = Math.max(4 * sd, ...values);
  const pad = (hi - lo) * 0.06;
  lo -= pad;
  hi += pad;
  const left = 30;
  const plotW = W - 60;
  const H = 190;
  const base = 130;
  const curveH = 95;
  const x = (v: number) => left + ((v - lo) / (hi - lo)) * plotW;
  const title = L.nullTardosTitle(who(s));
  const parts: string[] = [svgOpen(`null-${idx}`, title, H)];
  const pts: string[] = [];
  for (let i = 0; i <= 160; i++) {
    const z = -4 + (8 * i) / 160;
    pts.push(`${x(z * sd).toFixed(2)},${(base - curveH * Math.exp((-z * z) / 2)).toFixed(2)}`);
  }
  pts.push(`${x(4 * sd).toFixed(2)},${base}`, `${x(-4 * sd).toFixed(2)},${base}`);
  parts.push(`<polygon class="null-curve" points="${pts.join(' ')}" fill="${LIGHT}" stroke="#7d8fa3" stroke-width="1"/>`);
  parts.push(`<line x1="${left}" y1="${base}" x2="${left + plotW}" y2="${base}" stroke="#8a96a3"/>`);
  for (const t of niceTicks(lo, hi, 7)) {
    const tx = x(t).toFixed(1);
    parts.push(`<line x1="${tx}" y1="${base}" x2="${tx}" y2="${base + 4}" stroke="#8a96a3"/><text x="${tx}" y="${base + 17}" text-anchor="middle" class="tick">${esc(F.d(t, Number.isInteger(t) ? 0 : 1))}</text>`);
  }
  parts.push(`<text x="${Math.min(x(0) + 6, left + plotW - 220).toFixed(1)}" y="${base - curveH - 8}" class="tick">${esc(L.nullCurveTardos)}</text>`);
  for (const p of peers) {
    parts.push(`<circle class="peer" cx="${x(p.score).toFixed(1)}" cy="${base}" r="4" fill="${p.implicated ? RED : GREY}" stroke="#fff"><title>${esc(`${who(p)}: ${F.d(p.score, 2)}`)}</title></circle>`);
  }
  const z = s.score / sd;
  parts.push(subjectMark(s, x(s.score), base, curveH, left + plotW, `${s.recipient}: ${F.d(s.score, 2)} (${F.d(z, 1)} ${L.sdUnit})`));
  parts.push(`<text x="${left + plotW / 2}" y="${H - 8}" text-anchor="middle" class="axis">${esc(`${s.statistic} (${L.peers}: ●)`)}</text>`, '</svg>');
  const text = L.nullTardosText(F.n(n), F.d(sd, 1), who(s), F.d(s.score, 2), F.d(z, 1), `≤ ${F.p(s.log10PValue)}`);
  return `<figure class="chart-figure null-panel">${parts.join('')}<figcaption><strong>${esc(title)}.</strong> ${esc(text)}</figcaption></figure>`;
}


/** The recipient's own mark on a null panel: a line, a diamond on the axis, a label. */
function subjectMark(s: Suspect, sx: number, base: number, curveH: number, right: number, label: string): string {
  const color = s.implicated ? RED : GREY;
  const anchor = sx > right - 260 ? 'end' : 'start';
  const lx = anchor === 'end' ? sx - 8 : sx + 8;
  return (
    `<line x1="${sx.toFixed(1)}" y1="${base - curveH - 4}" x2="${sx.toFixed(1)}" y2="${base}" stroke="${color}" stroke-width="2"/>` +
    `<path class="subject" data-recipient="${esc(s.recipient)}" data-score="${s.score}" data-log10p="${s.log10PValue}" d="M${sx.toFixed(1)},${base - 8} l8,8 l-8,8 l-8,-8 z" fill="${color}"/>` +
    `<text x="${lx.toFixed(1)}" y="${base - curveH + 10}" text-anchor="${anchor}" class="value${s.implicated ? ' hit' : ''}">${esc(label)}</text>`
  );
}

/** One stacked bar: matched / repeated / foreign / rejected rows. */
export function dumpChart(report: TraceReport, L: Labels, F: Fmt): string {
  const d = report.dump;
  const total = Math.max(1, d.rows);
  const segs = [
    { key: 'matched', v: d.rowsMatched, color: '#2e7d4f', label: L.matched },
    // Reports signed before rowsDuplicate existed have none.
    { key: 'duplicate', v: d.rowsDuplicate ?? 0, color: '#8cc4a0', label: L.duplicate },
    { key: 'foreign', v: d.rowsForeign, color: '#d08a1c', label: L.foreign },
    { key: 'rejected', v: d.rowsRejected, color: '#9aa4af', label: L.rejected },
  ];
  const left = 10;
  const plotW = W - 20;
  const H = 40;
  let x = left;
  const parts: string[] = [svgOpen('dump-chart', L.dumpChartTitle, H)];
  for (const s of segs) {
    const w = (s.v / total) * plotW;
    if (w > 0) {
      parts.push(`<rect class="bar seg-${s.key}" x="${x.toFixed(1)}" y="6" width="${Math.max(1, w).toFixed(1)}" height="26" fill="${s.color}"><title>${esc(`${s.label}: ${F.n(s.v)}`)}</title></rect>`);
      if (w > 90) parts.push(`<text x="${(x + 6).toFixed(1)}" y="24" class="inbar">${esc(F.pct(s.v / total))}</text>`);
    }
    x += w;
  }
  parts.push('</svg>');
  const legend = `<ul class="legend">${segs.map((s) => `<li><span class="sw" style="background:${s.color}"></span>${esc(s.label)}: ${F.n(s.v)}</li>`).join('')}</ul>`;
  return `<figure class="chart-figure">${parts.join('')}<figcaption>${esc(L.dumpChartTitle)}</figcaption>${legend}</figure>`;
}

export interface FamilyRow {
  column: string;
  family: string;
  classes: number;
  dropped: number;
  observations: number;
  live: number;
  ones: number;
}

export function marksChart(rows: FamilyRow[], idx: number, L: Labels, F: Fmt): string {
  if (rows.length === 0) return '';
  const left = 250;
  const right = 90;
  const plotW = W - left - right;
  const barH = 16;
  const gap = 6;
  const H = rows.length * (barH + gap) + 8;
  const max = Math.max(1, ...rows.map((r) => r.observations));
  const parts: string[] = [svgOpen(`marks-chart-${idx}`, L.marksChartTitle, H)];
  parts.push(
    `<defs><pattern id="hatch-${idx}" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#e6e9ee"/><line x1="0" y1="0" x2="0" y2="6" stroke="#b5bdc7" stroke-width="3"/></pattern></defs>`,
  );
  rows.forEach((r, i) => {
    const y = 4 + i * (barH + gap);
    const wl = (r.live / max) * plotW;
    const wd = ((r.observations - r.live) / max) * plotW;
    parts.push(`<text x="${left - 8}" y="${y + 12}" text-anchor="end" class="label">${esc(r.column ? `${r.column} · ${r.family}` : r.family)}</text>`);
    if (wl > 0) parts.push(`<rect class="bar" x="${left}" y="${y}" width="${Math.max(1, wl).toFixed(1)}" height="${barH}" fill="${BLUE}"/>`);
    if (wd > 0) parts.push(`<rect class="bar dropped" x="${(left + wl).toFixed(1)}" y="${y}" width="${Math.max(1, wd).toFixed(1)}" height="${barH}" fill="url(#hatch-${idx})"/>`);
    parts.push(`<text x="${(left + wl + wd + 6).toFixed(1)}" y="${y + 12}" class="value">${F.n(r.observations)}</text>`);
  });
  parts.push('</svg>');
  const legend = `<ul class="legend"><li><span class="sw" style="background:${BLUE}"></span>${esc(L.live)}</li><li><span class="sw hatch"></span>${esc(L.droppedLegend)}</li></ul>`;
  return `<figure class="chart-figure">${parts.join('')}<figcaption>${esc(L.marksChartTitle)}</figcaption>${legend}</figure>`;
}
