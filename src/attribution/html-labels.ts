import type { TraceReport } from './report.js';

/**
 * The words of the HTML evidence report (html.ts) in its two languages, and how its numbers are
 * written in each: the label tables EN and ES, p-values and bounds in superscript powers of ten,
 * integers, decimals and percentages in the language's locale, and the default language.
 * @module
 */

/** The languages the report is written in. */
export type ReportLang = 'es' | 'en';

type Verdict = TraceReport['verdict'];

export interface Labels {
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
  scoring: (records: string, share: string, budget: string) => string;
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
  scoring: (records, share, budget) =>
    `The dump is larger than the evidence budget (${budget} records): the marks of ${records} records were read, the ${share} of the records chosen by their keyed identity alone, the same for every recipient, so the bound holds as on any dump. Every row was matched and counted and every canary read.`,
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
  scoring: (records, share, budget) =>
    `El volcado supera el presupuesto de evidencia (${budget} registros): se leyeron las marcas de ${records} registros, el ${share} de los registros, elegidos solo por su identidad con clave, los mismos para todo destinatario, de modo que la cota vale como en cualquier volcado. Todas las filas se vincularon y contaron y se leyeron todos los registros testigo.`,
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

export const LABELS: Record<ReportLang, Labels> = { en: EN, es: ES };

// ---- formatting --------------------------------------------------------------------------------

const SUP: Record<string, string> = {
  '0': '⁰', '1': '¹', '2': '²', '3': '³', '4': '⁴', '5': '⁵', '6': '⁶', '7': '⁷', '8': '⁸', '9': '⁹', '-': '⁻',
};

/** 10 to an integer power in superscript digits: 10⁻²²¹⁰. */
export function pow10(exp: number): string {
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
export function formatBound(b: number, locale: string): string {
  const l = Math.log10(b);
  if (Math.abs(l - Math.round(l)) < 1e-9) return pow10(Math.round(l));
  return formatPValue(l, locale);
}

export class Fmt {
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
