import type { TraceReport } from './report.js';

/**
 * The HTML evidence report: one self-contained file (no remote resources, inline SVG), readable
 * offline and printable, in Spanish or English. It shows the same numbers as the signed JSON
 * report and says how to verify that JSON; the HTML itself is a view, not the evidence.
 */
type Lang = 'es' | 'en';

const LABELS = {
  en: {
    title: 'rollmark evidence report',
    verdict: 'Verdict',
    attributed: (who: string, rel: string) => `The dump was attributed to ${who}, release ${rel}.`,
    collusion: (who: string, rel: string) => `The dump combines copies of ${who}, release ${rel}.`,
    noRecipient: (rel: string) =>
      `No recipient is implicated, although a single leaker of release ${rel} would have been found: the dump comes from an unmarked copy or the issuer's master.`,
    inconclusive: 'Inconclusive: the dump holds too little evidence to implicate anyone.',
    suspects: 'Recipients, strongest evidence first',
    chart: 'Evidence per recipient: -log10 of the false-accusation bound (longer bar = stronger evidence); the line is the bound',
    recipient: 'Recipient',
    name: 'Name',
    release: 'Release',
    pvalue: 'p-value bound',
    log10: 'log10 p',
    implicated: 'Implicated',
    canaries: 'Canaries',
    statistic: 'Statistic',
    yes: 'yes',
    no: 'no',
    dump: 'The dump',
    rows: 'Rows',
    matched: 'Matched to the registry',
    foreign: 'Foreign (not in the release)',
    rejected: 'Unreadable',
    format: 'Format',
    canariesFound: 'Canary rows found, by section',
    none: 'none',
    marks: 'Field marks observed, by family',
    klass: 'Class',
    observations: 'Positions read',
    ones: 'Short spelling',
    dropped: 'Left out (normalised away)',
    columns: 'Columns recognised by content',
    dumpColumn: 'Dump column',
    registryColumn: 'Registry column',
    score: 'Score',
    verify: 'How to verify',
    verifyText:
      'The JSON report is signed with the issuer\'s Ed25519 key. Check it with: rollmark verify --public-key issuer.pub --report report.json',
    bound: 'False-accusation bound',
    boundText: (b: string, n: number) =>
      `A recipient is implicated when the bound on the probability that an innocent recipient shows evidence this strong is at most ${b}, corrected for ${n} recipients tested. The bound holds whatever the leaker did to the data.`,
    signature: 'Signature',
  },
  es: {
    title: 'Informe de evidencia rollmark',
    verdict: 'Dictamen',
    attributed: (who: string, rel: string) => `El volcado se atribuye a ${who}, entrega ${rel}.`,
    collusion: (who: string, rel: string) => `El volcado combina copias de ${who}, entrega ${rel}.`,
    noRecipient: (rel: string) =>
      `Ningún destinatario resulta implicado, aunque un único filtrador de la entrega ${rel} habría sido identificado: el volcado proviene de una copia sin marcas o del original del emisor.`,
    inconclusive: 'No concluyente: el volcado contiene muy poca evidencia para implicar a nadie.',
    suspects: 'Destinatarios, de mayor a menor evidencia',
    chart: 'Evidencia por destinatario: -log10 de la cota de falsa acusación (barra más larga = evidencia más fuerte); la línea es la cota',
    recipient: 'Destinatario',
    name: 'Nombre',
    release: 'Entrega',
    pvalue: 'Cota del valor p',
    log10: 'log10 p',
    implicated: 'Implicado',
    canaries: 'Registros testigo',
    statistic: 'Estadístico',
    yes: 'sí',
    no: 'no',
    dump: 'El volcado',
    rows: 'Filas',
    matched: 'Vinculadas al padrón',
    foreign: 'Ajenas (no están en la entrega)',
    rejected: 'Ilegibles',
    format: 'Formato',
    canariesFound: 'Registros testigo encontrados, por sección',
    none: 'ninguno',
    marks: 'Marcas de campo observadas, por familia',
    klass: 'Clase',
    observations: 'Posiciones leídas',
    ones: 'Forma abreviada',
    dropped: 'Excluida (normalizada)',
    columns: 'Columnas reconocidas por contenido',
    dumpColumn: 'Columna del volcado',
    registryColumn: 'Columna del padrón',
    score: 'Puntaje',
    verify: 'Cómo verificar',
    verifyText:
      'El informe JSON está firmado con la llave Ed25519 del emisor. Verifíquelo con: rollmark verify --public-key issuer.pub --report report.json',
    bound: 'Cota de falsa acusación',
    boundText: (b: string, n: number) =>
      `Un destinatario resulta implicado cuando la cota de la probabilidad de que un destinatario inocente muestre evidencia así de fuerte es a lo sumo ${b}, corregida por ${n} destinatarios evaluados. La cota se cumple haga lo que haga el filtrador con los datos.`,
    signature: 'Firma',
  },
} as const;

function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function fmtP(log10: number, p: number): string {
  return log10 < -300 ? `1e${Math.floor(log10)}` : p.toExponential(2);
}

export function defaultLang(): Lang {
  const loc = process.env.LC_ALL || process.env.LC_MESSAGES || process.env.LANG || '';
  return loc.toLowerCase().startsWith('es') ? 'es' : 'en';
}

/** Inline SVG bar chart: -log10 p per recipient, the bound as a vertical line. */
function chart(report: TraceReport, caption: string): string {
  const rows = report.suspects.slice(0, 30);
  const threshold = -Math.log10(report.falseAccusationBound);
  const max = Math.max(threshold * 1.25, ...rows.map((s) => -s.log10PValue), 1);
  const W = 760;
  const left = 150;
  const barH = 22;
  const H = rows.length * (barH + 6) + 40;
  const x = (v: number) => left + (Math.min(v, max) / max) * (W - left - 20);
  const bars = rows
    .map((s, i) => {
      const y = 10 + i * (barH + 6);
      const v = -s.log10PValue;
      const fill = s.implicated ? '#b3261e' : '#5f6b7a';
      return (
        `<text x="${left - 8}" y="${y + 15}" text-anchor="end" font-size="12">${esc(s.recipient)}</text>` +
        `<rect class="bar" data-recipient="${esc(s.recipient)}" x="${left}" y="${y}" width="${Math.max(1, x(v) - left).toFixed(1)}" height="${barH}" fill="${fill}"/>` +
        `<text x="${x(v) + 4}" y="${y + 15}" font-size="11">${v.toFixed(1)}</text>`
      );
    })
    .join('');
  const tx = x(threshold);
  return `<figure><svg role="img" aria-label="${esc(caption)}" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" xmlns="http://www.w3.org/2000/svg">
${bars}<line x1="${tx}" y1="0" x2="${tx}" y2="${H - 20}" stroke="#1a73e8" stroke-width="2" stroke-dasharray="4 3"/>
<text x="${tx}" y="${H - 6}" text-anchor="middle" font-size="11" fill="#1a73e8">${threshold.toFixed(0)}</text></svg>
<figcaption>${esc(caption)}</figcaption></figure>`;
}

export function renderHtmlReport(report: TraceReport, opts: { lang?: Lang } = {}): string {
  const lang = opts.lang ?? defaultLang();
  const L = LABELS[lang];
  const implicated = report.suspects.filter((s) => s.implicated);
  const who = implicated.map((s) => `${s.recipient} (${s.name})`).join(', ');
  const rel = report.release ?? '-';
  const sentence =
    report.verdict === 'attributed'
      ? L.attributed(who, rel)
      : report.verdict === 'collusion'
        ? L.collusion(who, rel)
        : report.verdict === 'no-recipient'
          ? L.noRecipient(rel)
          : L.inconclusive;
  const suspectRows = report.suspects
    .map(
      (s) =>
        `<tr class="${s.implicated ? 'hit' : ''}"><td>${esc(s.recipient)}</td><td>${esc(s.name)}</td><td>${esc(s.release)}</td><td class="num">${fmtP(s.log10PValue, s.pValue)}</td><td class="num">${s.log10PValue.toFixed(2)}</td><td class="num">${s.score.toFixed(2)}</td><td>${esc(s.statistic)}</td><td class="num">${s.canaries}</td><td>${s.implicated ? L.yes : L.no}</td></tr>`,
    )
    .join('\n');
  const releases = report.releases
    .map((r) => {
      const canaries = new Map<string, number>();
      for (const g of r.canariesFound) canaries.set(g, (canaries.get(g) ?? 0) + 1);
      const canaryRows = [...canaries].map(([g, n]) => `<tr><td>${esc(g)}</td><td class="num">${n}</td></tr>`).join('');
      const classRows = r.classes
        .map(
          (c) =>
            `<tr><td>${esc(c.name)}</td><td class="num">${c.observations}</td><td class="num">${c.ones}</td><td>${c.dropped ? L.yes : L.no}</td></tr>`,
        )
        .join('');
      const colRows = (r.columns as { dump: number; registry: string | null; score: number; header?: string }[])
        .map(
          (c) =>
            `<tr><td>${c.dump + 1}${c.header ? ` (${esc(c.header)})` : ''}</td><td>${esc(c.registry ?? '-')}</td><td class="num">${Number(c.score).toFixed(2)}</td></tr>`,
        )
        .join('');
      return `<section><h2>${L.release} ${esc(r.release)}</h2>
<h3>${L.canariesFound}</h3>${canaryRows ? `<table><tbody>${canaryRows}</tbody></table>` : `<p>${L.none}</p>`}
<h3>${L.marks}</h3><table><thead><tr><th>${L.klass}</th><th>${L.observations}</th><th>${L.ones}</th><th>${L.dropped}</th></tr></thead><tbody>${classRows}</tbody></table>
<h3>${L.columns}</h3><table><thead><tr><th>${L.dumpColumn}</th><th>${L.registryColumn}</th><th>${L.score}</th></tr></thead><tbody>${colRows}</tbody></table></section>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${L.title}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:960px;color:#1f1f1f;padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem;margin-top:2rem}h3{font-size:1rem}
.verdict{font-size:1.15rem;padding:1rem;border-left:6px solid ${report.verdict === 'inconclusive' ? '#5f6b7a' : report.verdict === 'no-recipient' ? '#1a73e8' : '#b3261e'};background:#f6f6f6}
table{border-collapse:collapse;width:100%;font-size:.9rem;margin:.5rem 0}th,td{border-bottom:1px solid #e3e3e3;padding:.3rem .5rem;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}tr.hit td{font-weight:600;color:#b3261e}
code,.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.8rem;word-break:break-all}
figure{margin:1rem 0}figcaption{font-size:.85rem;color:#555}
@media print{body{margin:0;max-width:none}section{break-inside:avoid}}
</style></head><body>
<h1>${L.title}</h1>
<p class="verdict" id="verdict" data-verdict="${report.verdict}">${esc(sentence)}</p>
<h2>${L.suspects}</h2>
${chart(report, L.chart)}
<table id="suspects"><thead><tr><th>${L.recipient}</th><th>${L.name}</th><th>${L.release}</th><th>${L.pvalue}</th><th>${L.log10}</th><th>${L.score}</th><th>${L.statistic}</th><th>${L.canaries}</th><th>${L.implicated}</th></tr></thead>
<tbody>${suspectRows}</tbody></table>
<h2>${L.bound}</h2><p>${esc(L.boundText(String(report.falseAccusationBound), report.recipientsTested))}</p>
<h2>${L.dump}</h2>
<table><tbody>
<tr><td>${L.rows}</td><td class="num" id="rows">${report.dump.rows}</td></tr>
<tr><td>${L.matched}</td><td class="num" id="rows-matched">${report.dump.rowsMatched}</td></tr>
<tr><td>${L.foreign}</td><td class="num">${report.dump.rowsForeign}</td></tr>
<tr><td>${L.rejected}</td><td class="num" id="rows-rejected">${report.dump.rowsRejected}</td></tr>
<tr><td>${L.format}</td><td>${esc(JSON.stringify(report.dump.format))}</td></tr>
<tr><td>sha256</td><td class="mono">${esc(report.dump.sha256)}</td></tr>
</tbody></table>
${releases}
<h2>${L.verify}</h2><p>${esc(L.verifyText)}</p>
<p>${L.signature}: <span class="mono">${esc(report.signature)}</span></p>
<p class="mono">${esc(report.generatedAt)}</p>
</body></html>
`;
}
