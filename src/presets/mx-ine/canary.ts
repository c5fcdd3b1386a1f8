import { claveElectorFor, curpFor, type Sexo } from './identity.js';

/**
 * Derives a composed mx-ine canary's identifiers from the person it was composed into, so the row
 * passes every rule a real row passes: CURP (letters, date, sex, state, check digit) and clave de
 * elector (letters, date, birth entidad, sex) agree with its names, FNAC and SEXO. The birth
 * state comes from the real row that lent the birth date (a person's state and date of birth are
 * one record); the homoclaves follow that row's pattern with a fresh digit, as a namesake's would.
 */
export function deriveMxIneIdentity(columns: string[], fields: string[], birthRow: string[], below: (n: number) => number): void {
  const col = (name: string) => columns.indexOf(name);
  const curpCol = col('CURP');
  const electorCol = col('ELECTOR');
  const person = {
    apePat: fields[col('APE_PAT')],
    apeMat: fields[col('APE_MAT')],
    nombre: fields[col('NOMBRE')],
    fnac: fields[col('FNAC')],
    sexo: fields[col('SEXO')] as Sexo,
  };
  const realCurp = birthRow[curpCol];
  const realClave = birthRow[electorCol];
  const birthState = realCurp.slice(11, 13);
  const birthStateCode = realClave.slice(12, 14);
  // RENAPO gives 0 (births before 2000) or A (from 2000) unless a namesake already holds it:
  // over 97% of real rows carry those, so a canary does too, with the next value as often as
  // namesakes have it.
  const base = realCurp[16] >= '0' && realCurp[16] <= '9' ? '0' : 'A';
  const homoclave = below(100) < 97 ? base : String.fromCharCode(base.charCodeAt(0) + 1);
  fields[curpCol] = curpFor({ ...person, birthState }, homoclave);
  const claveHomoclave = String(below(10)) + realClave.slice(16, 18);
  fields[electorCol] = claveElectorFor({ ...person, birthStateCode }, claveHomoclave);
}
