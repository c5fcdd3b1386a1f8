/**
 * An independent check of mx-ine rows, written from the published rules (RENAPO's instructivo
 * for the CURP, python-stdnum's check digit, the clave de elector as the credential shows it),
 * not from the generator's code: it shares no function with src/ so a rule misread there is
 * caught here.
 */

const VOWELS = new Set(['A', 'E', 'I', 'O', 'U']);
const PARTICLES = new Set('DA DAS DE DEL DER DI DIE DD EL LA LOS LAS LE LES MAC MC VAN VON Y'.split(' '));
const SKIP = new Set(['MARIA', 'MA.', 'MA', 'M.', 'M', 'JOSE', 'J.', 'J']);
/** The list writes these short forms; the identifiers come from the full names. */
const SHORT_FORMS: Record<string, string> = { 'MA.': 'MARIA', 'GPE.': 'GUADALUPE', 'FCO.': 'FRANCISCO' };
const INCONVENIENT = new Set(
  (
    'BACA BAKA BUEI BUEY CACA CACO CAGA CAGO CAKA CAKO COGE COGI COJA COJE COJI COJO COLA CULO FALO FETO GETA ' +
    'GUEI GUEY JETA JOTO KACA KACO KAGA KAGO KAKA KAKO KOGE KOGI KOJA KOJE KOJI KOJO KOLA KULO LILO LOCA LOCO ' +
    'LOKA LOKO MAME MAMO MEAR MEAS MEON MIAR MION MOCO MOKO MULA MULO NACA NACO PEDA PEDO PENE PIPI PITO POPO ' +
    'PUTA PUTO QULO RATA ROBA ROBE ROBO RUIN SENO TETA VACA VAGA VAGO VAKA VUEI VUEY WUEI WUEY'
  ).split(' '),
);
/** CURP state letters in INEGI order (entidad 01 .. 32), and NE for abroad (clave 87). */
export const CURP_STATES = 'AS BC BS CC CL CM CS CH DF DG GT GR HG JC MC MN MS NT NL OC PL QT QR SP SL SR TC TS TL VZ YN ZS'.split(' ');
const ALPHABET = '0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ';

export function checkDigit(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += ALPHABET.indexOf(first17[i]) * (18 - i);
  return String((10 - (sum % 10)) % 10);
}

function firstSignificant(text: string): string {
  const words = text.split(' ').filter((w) => w !== '');
  const kept = words.filter((w) => !PARTICLES.has(w));
  return (kept.length > 0 ? kept : words)[0] ?? '';
}

function givenName(text: string): string {
  const words = text.split(' ').filter((w) => w !== '' && !PARTICLES.has(w)).map((w) => SHORT_FORMS[w] ?? w);
  return words.length > 1 && SKIP.has(words[0]) ? words[1] : words[0] ?? '';
}

const initial = (w: string) => (/^[A-Z]/.test(w) ? w[0] : 'X');
const vowelAfterFirst = (w: string) => [...w.slice(1)].find((c) => VOWELS.has(c)) ?? 'X';
function consonantAfterFirst(w: string): string {
  const c = [...w.slice(1)].find((ch) => /[A-ZÑ]/.test(ch) && !VOWELS.has(ch));
  return c === undefined || c === 'Ñ' ? 'X' : c;
}

export interface Expected {
  curp16: string;
  clave15: string;
}

/** The name-, date- and state-derived parts of CURP (16 chars) and clave (15 chars). */
export function expectedIdentity(apePat: string, apeMat: string, nombre: string, fnac: string, sexo: string, curpState: string): Expected {
  let p = firstSignificant(apePat);
  let m = firstSignificant(apeMat);
  if (p === '' && m !== '') [p, m] = [m, ''];
  const n = givenName(nombre);
  let head = (p === '' ? 'XX' : initial(p) + vowelAfterFirst(p)) + (m === '' ? 'X' : initial(m)) + initial(n);
  if (INCONVENIENT.has(head)) head = head[0] + 'X' + head.slice(2);
  const yymmdd = fnac.slice(2);
  const cons = (w: string) => (w === '' ? 'X' : consonantAfterFirst(w));
  const curp16 = head + yymmdd + sexo + curpState + cons(p) + cons(m) + cons(n);
  const pair = (w: string) => (w === '' ? 'XX' : initial(w) + consonantAfterFirst(w));
  const code = curpState === 'NE' ? '87' : String(CURP_STATES.indexOf(curpState) + 1).padStart(2, '0');
  const clave15 = pair(p) + pair(m) + pair(n) + yymmdd + code + sexo;
  return { curp16, clave15 };
}

export function ageOnDate(fnac: string, asOf: string): number {
  const y = Number(asOf.slice(0, 4)) - Number(fnac.slice(0, 4));
  return asOf.slice(5, 7) + asOf.slice(8, 10) < fnac.slice(4) ? y - 1 : y;
}

function realDate(ymd: string): boolean {
  const d = new Date(Date.UTC(+ymd.slice(0, 4), +ymd.slice(4, 6) - 1, +ymd.slice(6, 8)));
  return d.toISOString().slice(0, 10).replace(/-/g, '') === ymd;
}

const CURP_RE = new RegExp(`^[A-Z][AEIOUX][A-Z]{2}\\d{6}[HM](${CURP_STATES.join('|')}|NE)[B-DF-HJ-NP-TV-Z]{3}[0-9A-Z]\\d$`);
const CLAVE_RE = /^[A-Z]{6}\d{8}[HM]\d{3}$/;
const TEXT_RE = /^[A-Z0-9Ñ .\/-]*$/;
/** First two digits of postal codes by entidad (SEPOMEX). */
const POSTAL: Record<string, [number, number]> = {
  '01': [20, 20], '02': [21, 22], '03': [23, 23], '04': [24, 24], '05': [25, 27], '06': [28, 28], '07': [29, 30],
  '08': [31, 33], '09': [1, 16], '10': [34, 35], '11': [36, 38], '12': [39, 41], '13': [42, 43], '14': [44, 49],
  '15': [50, 57], '16': [58, 61], '17': [62, 62], '18': [63, 63], '19': [64, 67], '20': [68, 71], '21': [72, 75],
  '22': [76, 76], '23': [77, 77], '24': [78, 79], '25': [80, 82], '26': [83, 85], '27': [86, 86], '28': [87, 89],
  '29': [90, 90], '30': [91, 96], '31': [97, 97], '32': [98, 99],
};

/** Problems with one row (27 fields, mx-ine order); empty when it passes. */
export function rowProblems(r: string[], asOf = '2026-01-01'): string[] {
  const out: string[] = [];
  const [cons, elector, folNac, ocr, apePat, apeMat, nombre, fnac, edad, sexo, curp] = r;
  if (r.length !== 27) return [`has ${r.length} fields`];
  for (const f of r) if (!TEXT_RE.test(f)) out.push(`value '${f}' is not uppercase ASCII/Ñ text`);
  if (!/^\d+$/.test(cons)) out.push(`CONSECUTIVO '${cons}'`);
  if (!CLAVE_RE.test(elector)) out.push(`ELECTOR shape '${elector}'`);
  if (!CURP_RE.test(curp)) out.push(`CURP shape '${curp}'`);
  if (!/^\d{10}$/.test(folNac)) out.push(`FOL_NAC '${folNac}'`);
  if (!/^\d{13}$/.test(ocr) || ocr.slice(0, 4) !== String(Number(r[22]) % 10000).padStart(4, '0')) out.push(`OCR '${ocr}'`);
  if (!/^\d{8}$/.test(fnac) || !realDate(fnac)) out.push(`FNAC '${fnac}'`);
  if (sexo !== 'H' && sexo !== 'M') out.push(`SEXO '${sexo}'`);
  if (apePat === '' && apeMat !== '') out.push('APE_MAT without APE_PAT');
  if (out.length > 0) return out;

  const age = ageOnDate(fnac, asOf);
  if (String(age) !== edad) out.push(`EDAD ${edad} but born ${fnac} is ${age} on ${asOf}`);
  if (age < 18 || age > 100) out.push(`age ${age}`);
  if (curp[17] !== checkDigit(curp.slice(0, 17))) out.push(`CURP check digit ${curp}`);
  const before2000 = fnac < '20000101';
  if (before2000 !== /\d/.test(curp[16])) out.push(`CURP homoclave ${curp[16]} for a birth in ${fnac.slice(0, 4)}`);
  const exp = expectedIdentity(apePat, apeMat, nombre, fnac, sexo, curp.slice(11, 13));
  if (curp.slice(0, 16) !== exp.curp16) out.push(`CURP ${curp} expected ${exp.curp16}..`);
  if (elector.slice(0, 15) !== exp.clave15) out.push(`ELECTOR ${elector} expected ${exp.clave15}...`);

  const entidad = r[18];
  if (!POSTAL[entidad]) out.push(`ENTIDAD '${entidad}'`);
  else {
    const [lo, hi] = POSTAL[entidad];
    const p2 = Number(r[16].slice(0, 2));
    if (!/^\d{5}$/.test(r[16]) || p2 < lo || p2 > hi) out.push(`CODPOSTAL ${r[16]} for entidad ${entidad}`);
  }
  if (!/^\d{2}$/.test(r[19]) || r[19] === '00') out.push(`DISTRITO '${r[19]}'`);
  if (!/^\d{3}$/.test(r[20])) out.push(`MUNICIPIO '${r[20]}'`);
  if (r[21] === '') out.push('NOM_MUN empty');
  if (!/^\d{4,}$/.test(r[22])) out.push(`SECCION '${r[22]}'`);
  if (!/^\d{4}$/.test(r[23])) out.push(`LOCALIDAD '${r[23]}'`);
  if (!/^\d*$/.test(r[24])) out.push(`MANZANA '${r[24]}'`);
  if (!/^\d{4}$/.test(r[25]) || Number(r[25]) > Number(asOf.slice(0, 4)) || Number(r[25]) < Number(fnac.slice(0, 4)) + 17) {
    out.push(`EMISIONCRE '${r[25]}' for a birth in ${fnac.slice(0, 4)}`);
  }
  if (!/^[1-9]$/.test(r[26])) out.push(`CONS_LC '${r[26]}'`);
  if (!/^\d+$/.test(r[17]) || Number(r[17]) > age) out.push(`TIEMPRES '${r[17]}' at age ${age}`);
  if (r[12] === '' || r[15] === '') out.push('CALLE or COLONIA empty');
  return out;
}
