import type { TraceReport, Suspect, ReleaseEvidence } from './report.js';
import type { ColumnMatch } from './columns.js';
import { MX_INE_COLUMNS, entidadByCode } from '../presets/mx-ine/columns.js';

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

/** The languages the report is written in. */
export type ReportLang = 'es' | 'en';

export interface HtmlReportOptions {
  /** Spanish or English; default from LC_ALL / LC_MESSAGES / LANG (`es*` gives Spanish). */
  lang?: ReportLang;
}

type Verdict = TraceReport['verdict'];
type Release = ReleaseEvidence & { suspects: Suspect[] };

interface Labels {
  locale: string;
  title: string;
  subtitle: (rel: string | null, file: string) => string;
  verdictHeading: string;
  verdictName: Record<Verdict, string>;
  attributed: (who: string, rel: string, p: string) => string;
  collusion: (who: string, rel: string, p: string) => string;
  noRecipient: (rel: string) => string;
  inconclusive: string;
  and: string;
  facts: {
    release: string;
    implicated: string;
    strongest: string;
    bound: string;
    rows: string;
    dump: string;
    generated: string;
  };
  evidenceHeading: string;
  chartTitle: string;
  chartAxis: string;
  legendImplicated: string;
  legendOther: string;
  legendBound: (b: string, n: number) => string;
  legendNull: string;
  moreSuspects: (n: number) => string;
  suspectsTable: string;
  recipient: string;
  name: string;
  release: string;
  pvalue: string;
  log10: string;
  statistic: string;
  value: string;
  canaries: string;
  implicated: string;
  yes: string;
  no: string;
  bound: string;
  boundText: (b: string, n: number) => string;
  nullHeading: string;
  nullHeadingNone: string;
  nullIntro: string;
  nullNotImplicated: string;
  nullNoEvidence: string;
  nullTardosTitle: (who: string) => string;
  nullTardosText: (n: string, sd: string, who: string, v: string, z: string, p: string) => string;
  nullPTitle: (who: string, stat: string) => string;
  nullCurveTardos: string;
  valueNote: string;
  peers: string;
  sdUnit: string;
  dumpHeading: string;
  rows: string;
  matched: string;
  duplicate: string;
  foreign: string;
  rejected: string;
  dumpChartTitle: string;
  file: string;
  format: string;
  formatText: (f: { gzip: boolean; encoding: string; delimiter: string; hasHeader: boolean; columns: number }) => string;
  sha256: string;
  releaseHeading: (rel: string) => string;
  releaseRows: (matched: string, dup: string) => string;
  matchedBy: (key: string, sets: string) => string;
  matchSet: (i: number, n: string) => string;
  power: (p: string, yes: boolean) => string;
  canariesHeading: string;
  canariesIntro: (found: string, observed: string) => string;
  entidad: string;
  sections: string;
  group: string;
  count: string;
  none: string;
  marksHeading: string;
  marksIntro: string;
  marksChartTitle: string;
  family: string;
  column: string;
  classes: string;
  positions: string;
  live: string;
  droppedLegend: string;
  shortShare: string;
  classDetail: string;
  klass: string;
  ones: string;
  dropped: string;
  canaryPositions: string;
  columnsHeading: string;
  columnsIntro: string;
  dumpColumn: string;
  header: string;
  registryColumn: string;
  contentScore: string;
  transform: string;
  resolved: string;
  notRecognised: string;
  notInDump: (cols: string) => string;
  ambiguous: (cols: string) => string;
  resolvedBy: Record<string, string>;
  verifyHeading: string;
  verifyStep1: string;
  verifyStep2: (file: string) => string;
  verifyStep3: string;
  verifyExit: string;
  signature: string;
  signedOver: string;
  footer: (tool: string, version: number, at: string) => string;
}

const DELIMS: Record<string, { en: string; es: string }> = {
  ',': { en: 'comma', es: 'coma' },
  '\t': { en: 'tab', es: 'tabulador' },
  ';': { en: 'semicolon', es: 'punto y coma' },
  '|': { en: 'pipe', es: 'barra vertical' },
};

const EN: Labels = {
  locale: 'en-US',
  title: 'Evidence report: who leaked this copy?',
  subtitle: (rel, file) => (rel ? `Release ${rel} · dump ${file}` : `Dump ${file}`),
  verdictHeading: 'Verdict',
  verdictName: {
    attributed: 'Attributed',
    collusion: 'Collusion',
    'no-recipient': 'No recipient implicated',
    inconclusive: 'Inconclusive',
  },
  attributed: (who, rel, p) =>
    `The dump comes from the copy given to ${who} in release ${rel}: the chance that a recipient who did not leak shows evidence this strong is at most ${p}.`,
  collusion: (who, rel, p) =>
    `The dump combines the copies given to ${who} in release ${rel}: for each of them the chance that a recipient who did not leak shows evidence this strong is at most ${p}.`,
  noRecipient: (rel) =>
    `No recipient is implicated, although a single leaker of release ${rel} would have been found: the dump comes from an unmarked copy or the issuer's own master.`,
  inconclusive: 'Inconclusive: the dump holds too little evidence to implicate anyone, or to clear everyone.',
  and: 'and',
  facts: {
    release: 'Release',
    implicated: 'Implicated',
    strongest: 'Strongest evidence',
    bound: 'False-accusation bound',
    rows: 'Rows matched / read',
    dump: 'Dump',
    generated: 'Generated',
  },
  evidenceHeading: 'Evidence per recipient',
  chartTitle: 'False-accusation bound per recipient (further right = stronger evidence)',
  chartAxis: 'p-value bound, on a logarithmic scale of −log₁₀ p',
  legendImplicated: 'implicated',
  legendOther: 'not implicated',
  legendBound: (b, n) => `bound ${b}, corrected for ${n} recipients tested`,
  legendNull: 'where recipients who did not leak land: past 10⁻ˣ with probability at most 10⁻ˣ',
  moreSuspects: (n) => `${n} more recipients, all in the table below.`,
  suspectsTable: 'Every recipient tested, strongest evidence first',
  recipient: 'Recipient',
  name: 'Name',
  release: 'Release',
  pvalue: 'p-value bound',
  log10: 'log₁₀ p',
  statistic: 'Statistic',
  value: 'Value',
  canaries: 'Canaries',
  implicated: 'Implicated',
  yes: 'yes',
  no: 'no',
  bound: 'What the bound means',
  boundText: (b, n) =>
    `A recipient is implicated when the bound on the probability that a recipient who did not leak shows evidence at least this strong is at most ${b}, after correcting for the ${n} recipients tested and for every statistic tried. The bound is computed on the exact distribution of an innocent recipient's score given the dump, and holds whatever the leaker did to the data (sampling, edits, re-formatting, merging copies): such changes can weaken the evidence against the leaker, never raise it against anyone else.`,
  nullHeading: 'The implicated recipient against innocence',
  nullHeadingNone: 'The strongest suspect against innocence',
  nullIntro:
    'A recipient who did not leak received symbols that are independent of the dump, so its score follows a known distribution, the same for every innocent recipient. Each panel places a recipient\'s score against that distribution; the other recipients scored with the same statistic are shown as grey dots.',
  nullNotImplicated: 'No recipient is implicated; the strongest suspect is shown for reference.',
  nullNoEvidence: 'The dump gave no code position to read, so there is no score to show.',
  nullTardosTitle: (who) => `${who}: symmetric Tardos score against an innocent recipient's`,
  nullTardosText: (n, sd, who, v, z, p) =>
    `An innocent recipient's Tardos score is a sum of ${n} independent terms of mean 0 and variance 1: mean 0, standard deviation ${sd}. ${who} scores ${v}, ${z} standard deviations from that mean. The bell only orients the eye: the bound (${p}) is computed on the exact distribution of the terms, whose tail is heavier than a bell's.`,
  nullPTitle: (who, stat) => `${who}: its bound (statistic ${stat}) against where innocent recipients land`,
  nullCurveTardos: 'innocent recipients (mean 0, sd √n)',
  valueNote:
    'Value: the recipient\'s value of the statistic that gave its bound. An innocent recipient\'s Tardos score averages 0; its log-likelihood ratios (llr) average well below 0, by an amount the dump fixes, so the bound, not the sign of the value, is what to read.',
  peers: 'other recipients',
  sdUnit: 'sd',
  dumpHeading: 'The dump examined',
  rows: 'Rows read',
  matched: 'Matched to a record of the release',
  duplicate: 'Repeats (a record already counted)',
  foreign: 'Foreign (matched no record of the release)',
  rejected: 'Unreadable',
  dumpChartTitle: 'What the rows of the dump turned out to be',
  file: 'File',
  format: 'Format found',
  formatText: (f) =>
    `${f.gzip ? 'gzip, ' : ''}${f.encoding === 'latin1' ? 'Latin-1' : 'UTF-8'}, ${DELIMS[f.delimiter]?.en ?? JSON.stringify(f.delimiter)}-separated, ${f.hasHeader ? 'with a header row' : 'no header row'}, ${f.columns} columns`,
  sha256: 'SHA-256 of the file',
  releaseHeading: (rel) => `Release ${rel}: what was found`,
  releaseRows: (matched, dup) => `${matched} rows matched to a record of this release; ${dup} more were taken as repeats of a record already counted and skipped (each record counts once).`,
  matchedBy: (key, sets) => `Matched by the record key: ${key}; by other column sets (the key column being absent): ${sets}.`,
  matchSet: (i, n) => `set ${i + 1}: ${n}`,
  power: (p, yes) =>
    `A single recipient who had leaked these rows (with 5% of the marks changed) would have reached a bound of ${p}: ${yes ? 'enough to be implicated, so the evidence is strong enough to clear those not implicated' : 'not enough to be implicated'}.`,
  canariesHeading: 'Canary rows found, by entidad and section',
  canariesIntro: (found, observed) =>
    `Canary rows are invented records placed in a keyed subset of the copies; a canary in a dump can only come from a copy that carried it. ${found} canaries were found; ${observed} canary positions were read (a canary also counts when it is absent from a section the dump covers).`,
  entidad: 'Entidad',
  sections: 'Sections',
  group: 'Group',
  count: 'Canaries',
  none: 'none',
  marksHeading: 'Field marks observed, by family',
  marksIntro:
    'Each family is a set of equivalent spellings (AVENIDA / AV, MARIA / MA, …); every copy writes one or the other at each position. A family whose every observation shows the same spelling was normalised by the leaker and is left out: it carries no evidence either way.',
  marksChartTitle: 'Positions read per family (grey: left out as normalised away)',
  family: 'Family',
  column: 'Column',
  classes: 'Classes',
  positions: 'Positions read',
  live: 'counted',
  droppedLegend: 'left out (normalised away)',
  shortShare: 'Short spelling',
  classDetail: 'Every class',
  klass: 'Class',
  ones: 'Short spelling',
  dropped: 'Left out',
  canaryPositions: 'canary positions',
  columnsHeading: 'Column mapping',
  columnsIntro: 'Dump columns are recognised by their content (header names only settle ties), then matched to the registry\'s columns.',
  dumpColumn: 'Dump column',
  header: 'Header',
  registryColumn: 'Registry column',
  contentScore: 'Content match',
  transform: 'Transform',
  resolved: 'Note',
  notRecognised: 'not recognised',
  notInDump: (cols) => `Registry columns absent from the dump: ${cols}.`,
  ambiguous: (cols) => `could also be ${cols}`,
  resolvedBy: { 'co-occurrence': 'settled by co-occurrence', header: 'settled by the header', position: 'settled by position', 'match-index': 'settled by the match index' },
  verifyHeading: 'How to verify this report',
  verifyStep1: 'Check the issuer\'s signature on the JSON report; it needs only the issuer\'s public key (issuer.pub, 64 hex characters), never the vault:',
  verifyStep2: (file) => `Check that the dump is the file examined (on macOS: shasum -a 256 ${file}); it must print the SHA-256 above:`,
  verifyStep3:
    'This page is a readable view of the signed JSON report. Where the two differ, the signed JSON is the evidence; any change to it makes the verification fail.',
  verifyExit: 'Exit status 0 means valid; 1 names what does not verify.',
  signature: 'Ed25519 signature',
  signedOver: 'over the canonical JSON (RFC 8785) of every field of the report except the signature',
  footer: (tool, version, at) => `${tool} report version ${version} · generated ${at}`,
};

const ES: Labels = {
  locale: 'es-MX',
  title: 'Informe de evidencia: ¿quién filtró esta copia?',
  subtitle: (rel, file) => (rel ? `Entrega ${rel} · volcado ${file}` : `Volcado ${file}`),
  verdictHeading: 'Dictamen',
  verdictName: {
    attributed: 'Atribuido',
    collusion: 'Colusión',
    'no-recipient': 'Ningún destinatario implicado',
    inconclusive: 'No concluyente',
  },
  attributed: (who, rel, p) =>
    `El volcado proviene de la copia que recibió ${who} en la entrega ${rel}: la probabilidad de que un destinatario que no filtró muestre evidencia así de fuerte es a lo sumo ${p}.`,
  collusion: (who, rel, p) =>
    `El volcado combina las copias que recibieron ${who} en la entrega ${rel}: para cada uno, la probabilidad de que un destinatario que no filtró muestre evidencia así de fuerte es a lo sumo ${p}.`,
  noRecipient: (rel) =>
    `Ningún destinatario resulta implicado, aunque un único filtrador de la entrega ${rel} habría sido identificado: el volcado proviene de una copia sin marcas o del original del emisor.`,
  inconclusive: 'No concluyente: el volcado contiene muy poca evidencia para implicar a alguien o para descartar a todos.',
  and: 'y',
  facts: {
    release: 'Entrega',
    implicated: 'Implicados',
    strongest: 'Evidencia más fuerte',
    bound: 'Cota de falsa acusación',
    rows: 'Filas vinculadas / leídas',
    dump: 'Volcado',
    generated: 'Generado',
  },
  evidenceHeading: 'Evidencia por destinatario',
  chartTitle: 'Cota de falsa acusación por destinatario (más a la derecha = evidencia más fuerte)',
  chartAxis: 'cota del valor p, en escala logarítmica de −log₁₀ p',
  legendImplicated: 'implicado',
  legendOther: 'no implicado',
  legendBound: (b, n) => `cota ${b}, corregida por ${n} destinatarios evaluados`,
  legendNull: 'dónde quedan los destinatarios que no filtraron: más allá de 10⁻ˣ con probabilidad a lo sumo 10⁻ˣ',
  moreSuspects: (n) => `${n} destinatarios más, todos en la tabla siguiente.`,
  suspectsTable: 'Todos los destinatarios evaluados, de mayor a menor evidencia',
  recipient: 'Destinatario',
  name: 'Nombre',
  release: 'Entrega',
  pvalue: 'Cota del valor p',
  log10: 'log₁₀ p',
  statistic: 'Estadístico',
  value: 'Valor',
  canaries: 'Testigos',
  implicated: 'Implicado',
  yes: 'sí',
  no: 'no',
  bound: 'Qué significa la cota',
  boundText: (b, n) =>
    `Un destinatario resulta implicado cuando la cota de la probabilidad de que un destinatario que no filtró muestre evidencia al menos así de fuerte es a lo sumo ${b}, tras corregir por los ${n} destinatarios evaluados y por cada estadístico probado. La cota se calcula sobre la distribución exacta del puntaje de un destinatario inocente dado el volcado, y se cumple haga lo que haga el filtrador con los datos (muestrear, editar, cambiar el formato, combinar copias): esos cambios pueden debilitar la evidencia contra quien filtró, nunca aumentarla contra otro.`,
  nullHeading: 'El destinatario implicado frente a la inocencia',
  nullHeadingNone: 'El sospechoso más fuerte frente a la inocencia',
  nullIntro:
    'Un destinatario que no filtró recibió símbolos independientes del volcado, por lo que su puntaje sigue una distribución conocida, la misma para todo destinatario inocente. Cada panel sitúa el puntaje de un destinatario frente a esa distribución; los demás destinatarios evaluados con el mismo estadístico aparecen como puntos grises.',
  nullNotImplicated: 'Ningún destinatario resulta implicado; se muestra el sospechoso más fuerte como referencia.',
  nullNoEvidence: 'El volcado no dio ninguna posición de código que leer, así que no hay puntaje que mostrar.',
  nullTardosTitle: (who) => `${who}: puntaje simétrico de Tardos frente al de un destinatario inocente`,
  nullTardosText: (n, sd, who, v, z, p) =>
    `El puntaje de Tardos de un destinatario inocente es una suma de ${n} términos independientes de media 0 y varianza 1: media 0, desviación estándar ${sd}. ${who} obtiene ${v}, a ${z} desviaciones estándar de esa media. La campana solo orienta la vista: la cota (${p}) se calcula sobre la distribución exacta de los términos, cuya cola es más pesada que la de una campana.`,
  nullPTitle: (who, stat) => `${who}: su cota (estadístico ${stat}) frente a donde quedan los destinatarios inocentes`,
  nullCurveTardos: 'destinatarios inocentes (media 0, d. e. √n)',
  valueNote:
    'Valor: el valor del estadístico que dio la cota del destinatario. El puntaje de Tardos de un destinatario inocente promedia 0; sus razones de verosimilitud logarítmicas (llr) promedian bastante menos que 0, en una cantidad que fija el volcado, así que lo que se lee es la cota, no el signo del valor.',
  peers: 'otros destinatarios',
  sdUnit: 'd. e.',
  dumpHeading: 'El volcado examinado',
  rows: 'Filas leídas',
  matched: 'Vinculadas a un registro de la entrega',
  duplicate: 'Repetidas (registro ya contado)',
  foreign: 'Ajenas (sin vínculo con un registro de la entrega)',
  rejected: 'Ilegibles',
  dumpChartTitle: 'Qué resultaron ser las filas del volcado',
  file: 'Archivo',
  format: 'Formato detectado',
  formatText: (f) =>
    `${f.gzip ? 'gzip, ' : ''}${f.encoding === 'latin1' ? 'Latin-1' : 'UTF-8'}, separado por ${DELIMS[f.delimiter]?.es ?? JSON.stringify(f.delimiter)}, ${f.hasHeader ? 'con fila de encabezado' : 'sin fila de encabezado'}, ${f.columns} columnas`,
  sha256: 'SHA-256 del archivo',
  releaseHeading: (rel) => `Entrega ${rel}: lo que se encontró`,
  releaseRows: (matched, dup) => `${matched} filas vinculadas a un registro de esta entrega; otras ${dup} se tomaron como repeticiones de un registro ya contado y se omitieron (cada registro cuenta una vez).`,
  matchedBy: (key, sets) => `Vinculadas por la clave del registro: ${key}; por otros conjuntos de columnas (sin la columna clave): ${sets}.`,
  matchSet: (i, n) => `conjunto ${i + 1}: ${n}`,
  power: (p, yes) =>
    `Un único destinatario que hubiera filtrado estas filas (con el 5% de las marcas cambiadas) habría alcanzado una cota de ${p}: ${yes ? 'suficiente para implicarlo, así que la evidencia basta para descartar a los no implicados' : 'insuficiente para implicarlo'}.`,
  canariesHeading: 'Registros testigo encontrados, por entidad y sección',
  canariesIntro: (found, observed) =>
    `Los registros testigo son registros inventados que se colocan en un subconjunto de las copias elegido con llave; un testigo en un volcado solo puede venir de una copia que lo llevaba. Se encontraron ${found} testigos; se leyeron ${observed} posiciones de testigo (un testigo también cuenta cuando falta en una sección que el volcado cubre).`,
  entidad: 'Entidad',
  sections: 'Secciones',
  group: 'Grupo',
  count: 'Testigos',
  none: 'ninguno',
  marksHeading: 'Marcas de campo observadas, por familia',
  marksIntro:
    'Cada familia es un conjunto de escrituras equivalentes (AVENIDA / AV, MARIA / MA, …); cada copia escribe una u otra en cada posición. Una familia cuyas observaciones muestran todas la misma escritura fue normalizada por el filtrador y se excluye: no aporta evidencia en ningún sentido.',
  marksChartTitle: 'Posiciones leídas por familia (gris: excluidas por normalizadas)',
  family: 'Familia',
  column: 'Columna',
  classes: 'Clases',
  positions: 'Posiciones leídas',
  live: 'contadas',
  droppedLegend: 'excluidas (normalizadas)',
  shortShare: 'Forma abreviada',
  classDetail: 'Todas las clases',
  klass: 'Clase',
  ones: 'Forma abreviada',
  dropped: 'Excluida',
  canaryPositions: 'posiciones de testigo',
  columnsHeading: 'Correspondencia de columnas',
  columnsIntro: 'Las columnas del volcado se reconocen por su contenido (los encabezados solo deshacen empates) y se asignan a las columnas del padrón.',
  dumpColumn: 'Columna del volcado',
  header: 'Encabezado',
  registryColumn: 'Columna del padrón',
  contentScore: 'Coincidencia',
  transform: 'Transformación',
  resolved: 'Nota',
  notRecognised: 'no reconocida',
  notInDump: (cols) => `Columnas del padrón ausentes del volcado: ${cols}.`,
  ambiguous: (cols) => `podría ser también ${cols}`,
  resolvedBy: { 'co-occurrence': 'resuelto por co-ocurrencia', header: 'resuelto por el encabezado', position: 'resuelto por la posición', 'match-index': 'resuelto por el índice de cotejo' },
  verifyHeading: 'Cómo verificar este informe',
  verifyStep1: 'Verifique la firma del emisor sobre el informe JSON; solo hace falta la llave pública del emisor (issuer.pub, 64 caracteres hexadecimales), nunca la bóveda:',
  verifyStep2: (file) => `Compruebe que el volcado es el archivo examinado (en macOS: shasum -a 256 ${file}); debe imprimir el SHA-256 de arriba:`,
  verifyStep3:
    'Esta página es una vista legible del informe JSON firmado. Si ambos difieren, la evidencia es el JSON firmado; cualquier cambio en él hace fallar la verificación.',
  verifyExit: 'Código de salida 0: válido; 1: indica qué no se verifica.',
  signature: 'Firma Ed25519',
  signedOver: 'sobre el JSON canónico (RFC 8785) de todos los campos del informe salvo la firma',
  footer: (tool, version, at) => `informe ${tool} versión ${version} · generado ${at}`,
};

const LABELS: Record<ReportLang, Labels> = { en: EN, es: ES };

// ---- formatting --------------------------------------------------------------------------------

function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const SUP: Record<string, string> = {
  '0': '⁰', '1': '¹', '2': '²', '3': '³', '4': '⁴', '5': '⁵', '6': '⁶', '7': '⁷', '8': '⁸', '9': '⁹', '-': '⁻',
};

/** 10 to an integer power in superscript digits: 10⁻²²¹⁰. */
function pow10(exp: number): string {
  return `10${String(exp).replace(/[-0-9]/g, (c) => SUP[c])}`;
}

/**
 * A p-value from its exact log10 (the JSON's pValue stops at 1e-300): `1`, `0.012`,
 * `3.4 × 10⁻⁵`, `1.5 × 10⁻²²¹⁰`. Two significant digits, rounded up so the text never claims
 * more than the report.
 */
export function formatPValue(log10: number, locale = 'en-US'): string {
  if (!(log10 < 0)) return '1';
  if (!Number.isFinite(log10)) return '0';
  if (log10 >= -2) {
    const p = 10 ** log10;
    const digits = Math.max(2, 1 - Math.floor(log10));
    const f = 10 ** digits;
    return new Intl.NumberFormat(locale, { maximumFractionDigits: digits }).format(Math.ceil(p * f - 1e-9) / f);
  }
  let exp = Math.floor(log10);
  let mant = Math.ceil(10 ** (log10 - exp) * 10 - 1e-9) / 10;
  if (mant >= 10) {
    mant = 1;
    exp += 1;
  }
  const m = new Intl.NumberFormat(locale, { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(mant);
  return `${m} × ${pow10(exp)}`;
}

/** The bound itself, e.g. 1e-9 -> 10⁻⁹ (or 2.5 × 10⁻⁸). */
function formatBound(b: number, locale: string): string {
  const l = Math.log10(b);
  if (Math.abs(l - Math.round(l)) < 1e-9) return pow10(Math.round(l));
  return formatPValue(l, locale);
}

class Fmt {
  private readonly int: Intl.NumberFormat;
  private readonly dec: Map<number, Intl.NumberFormat> = new Map();
  constructor(readonly locale: string) {
    this.int = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
  }
  n(v: number): string {
    return this.int.format(v);
  }
  d(v: number, digits: number): string {
    let f = this.dec.get(digits);
    if (!f) {
      f = new Intl.NumberFormat(this.locale, { minimumFractionDigits: digits, maximumFractionDigits: digits });
      this.dec.set(digits, f);
    }
    return f.format(v);
  }
  pct(v: number): string {
    return `${this.d(v * 100, 0)}%`;
  }
  p(log10: number): string {
    return formatPValue(log10, this.locale);
  }
}

/** Report language from the locale environment: `es*` gives Spanish, anything else English. */
export function defaultLang(env: NodeJS.ProcessEnv = process.env): ReportLang {
  const loc = env.LC_ALL || env.LC_MESSAGES || env.LANG || '';
  return loc.toLowerCase().startsWith('es') ? 'es' : 'en';
}

function who(s: Suspect): string {
  return s.name && s.name !== s.recipient ? `${s.recipient} (${s.name})` : s.recipient;
}

function joinList(items: string[], and: string): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} ${and} ${items[items.length - 1]}`;
}

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

// ---- charts ------------------------------------------------------------------------------------

const RED = '#b3261e';
const GREY = '#6b7785';
const BLUE = '#1a56c4';
const LIGHT = '#c9d3de';
const W = 760;
const MAX_BARS = 30;

function svgOpen(id: string, title: string, h: number): string {
  return `<svg id="${id}" class="chart" role="img" aria-labelledby="${id}-t" viewBox="0 0 ${W} ${h}" width="${W}" height="${h}" xmlns="http://www.w3.org/2000/svg"><title id="${id}-t">${esc(title)}</title>`;
}

/** -log10 p per recipient on a log(1 + x) axis, the bound as a line, the innocent zone shaded. */
function evidenceChart(report: TraceReport, L: Labels, F: Fmt): string {
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
function nullPanel(s: Suspect, rel: Release | undefined, report: TraceReport, L: Labels, F: Fmt, idx: number): string {
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
function dumpChart(report: TraceReport, L: Labels, F: Fmt): string {
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

interface FamilyRow {
  column: string;
  family: string;
  classes: number;
  dropped: number;
  observations: number;
  live: number;
  ones: number;
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

function marksChart(rows: FamilyRow[], idx: number, L: Labels, F: Fmt): string {
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
  const lang: ReportLang = opts.lang === 'es' || opts.lang === 'en' ? opts.lang : defaultLang();
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
