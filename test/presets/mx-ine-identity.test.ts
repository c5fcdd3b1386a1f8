import { describe, expect, it } from 'vitest';
import { RollmarkError } from '../../src/errors.js';
import { ageOn, claveElectorFor, curpCheckDigit, curpFor, type CurpPerson } from '../../src/presets/mx-ine/identity.js';
import { checkDigit } from '../synth/validator.js';

const person = (over: Partial<CurpPerson>): CurpPerson => ({
  apePat: 'PEREZ', apeMat: 'LOPEZ', nombre: 'JUAN', fnac: '19850312', sexo: 'H', birthState: 'DF', ...over,
});
/** The CURP a person should get, its check digit from the test's own implementation. */
const full = (first17: string) => first17 + checkDigit(first17);

describe('curpCheckDigit', () => {
  it('matches the python-stdnum mx/curp examples', () => {
    // python-stdnum doc-test: BOXW310820HNERXN09 is valid, ...08 is not.
    expect(curpCheckDigit('BOXW310820HNERXN0')).toBe('9');
    expect(curpCheckDigit('BOXW310820HNERXN0')).not.toBe('8');
  });
  it('values Ñ at its own place in the alphabet', () => {
    expect(curpCheckDigit('ÑOXW310820HNERXN0')).toBe(checkDigit('ÑOXW310820HNERXN0'));
  });
  it('refuses anything but 17 alphabet characters', () => {
    expect(() => curpCheckDigit('BOXW310820HNERXN')).toThrow(RollmarkError);
    expect(() => curpCheckDigit('BOXW310820HNERXN*')).toThrow(/17 characters/);
  });
});

describe('curpFor', () => {
  it('builds the 18 positions', () => {
    expect(curpFor(person({}), '0')).toBe(full('PELJ850312HDFRPN0'));
  });
  it('drops particles of compound surnames and names', () => {
    expect(curpFor(person({ apePat: 'DE LA CRUZ', apeMat: 'DEL ANGEL' }), '0')).toBe(full('CUAJ850312HDFRNN0'));
    expect(curpFor(person({ apePat: 'DE LA O', apeMat: 'MC GREGOR' }), '0')).toBe(full('OXGJ850312HDFXRN0'));
  });
  it('passes over MARIA and JOSE when a second name follows, not otherwise', () => {
    expect(curpFor(person({ nombre: 'MARIA DEL CARMEN', sexo: 'M' }), '0')).toBe(full('PELC850312MDFRPR0'));
    expect(curpFor(person({ nombre: 'JOSE LUIS' }), '0')).toBe(full('PELL850312HDFRPS0'));
    expect(curpFor(person({ nombre: 'MARIA', sexo: 'M' }), '0')).toBe(full('PELM850312MDFRPR0'));
    expect(curpFor(person({ nombre: 'JUAN JOSE' }), '0')).toBe(full('PELJ850312HDFRPN0'));
  });
  it('reads the list abbreviations as the full names', () => {
    const long = curpFor(person({ nombre: 'MARIA GUADALUPE', sexo: 'M' }), '0');
    expect(long).toBe(full('PELG850312MDFRPD0'));
    expect(curpFor(person({ nombre: 'MA. GUADALUPE', sexo: 'M' }), '0')).toBe(long);
    expect(curpFor(person({ nombre: 'MA GPE', sexo: 'M' }), '0')).toBe(long);
    expect(curpFor(person({ nombre: 'FCO. JAVIER' }), '0')).toBe(curpFor(person({ nombre: 'FRANCISCO JAVIER' }), '0'));
  });
  it('writes X for Ñ, for a missing vowel or consonant and for a missing surname', () => {
    expect(curpFor(person({ apePat: 'MUÑOZ', apeMat: 'PEÑA' }), '0')).toBe(full('MUPJ850312HDFXXN0'));
    expect(curpFor(person({ apePat: 'ÑUÑEZ' }), '0')).toBe(full('XULJ850312HDFXPN0'));
    expect(curpFor(person({ apePat: 'KU', apeMat: '' }), '0')).toBe(full('KUXJ850312HDFXXN0'));
    expect(curpFor(person({ apePat: '', apeMat: '' }), '0')).toBe(full('XXXJ850312HDFXXN0'));
  });
  it('reads a lone second surname as the first', () => {
    expect(curpFor(person({ apePat: '', apeMat: 'LOPEZ' }), '0')).toBe(full('LOXJ850312HDFPXN0'));
  });
  it('replaces the second letter of an inconvenient word with X', () => {
    // BUENDIA + ESPINOSA + IGNACIO spell BUEI.
    expect(curpFor(person({ apePat: 'BUENDIA', apeMat: 'ESPINOSA', nombre: 'IGNACIO' }), '0')).toBe(full('BXEI850312HDFNSG0'));
  });
  it('normalises case and accents, keeping Ñ', () => {
    expect(curpFor(person({ apePat: 'gómez', apeMat: 'Núñez', nombre: 'José Ángel' }), '0'))
      .toBe(curpFor(person({ apePat: 'GOMEZ', apeMat: 'NUÑEZ', nombre: 'JOSE ANGEL' }), '0'));
  });
  it('takes NE for a birth abroad and a letter homoclave from 2000 on', () => {
    expect(curpFor(person({ birthState: 'NE', fnac: '20010101' }), 'A')).toBe(full('PELJ010101HNERPNA'));
  });
  it('refuses bad input', () => {
    expect(() => curpFor(person({}), 'A')).toThrow(/digit for a birth before 2000/);
    expect(() => curpFor(person({ fnac: '20010101' }), '0')).toThrow(/letter/);
    expect(() => curpFor(person({ fnac: '19850230' }), '0')).toThrow(/real date/);
    expect(() => curpFor(person({ birthState: 'XX' }), '0')).toThrow(/birth state/);
    expect(() => curpFor(person({ sexo: 'X' as 'H' }), '0')).toThrow(/sexo/);
  });
});

describe('claveElectorFor', () => {
  const base = { apePat: 'HERNANDEZ', apeMat: 'GARCIA', nombre: 'JUAN CARLOS', fnac: '19820506', sexo: 'H' as const, birthStateCode: '02' };
  it('matches the published examples', () => {
    // Sayari's worked examples: Juan Carlos (and Jose Alonso) Hernandez Garcia, born 1982-05-06 in Baja California.
    expect(claveElectorFor(base, '900')).toBe('HRGRJN82050602H900');
    expect(claveElectorFor({ ...base, nombre: 'JOSE ALONSO' }, '900')).toBe('HRGRAL82050602H900');
  });
  it('writes XX for a missing surname and 87 for a birth abroad', () => {
    expect(claveElectorFor({ ...base, apeMat: '', birthStateCode: '87' }, '000')).toBe('HRXXJN82050687H000');
    expect(claveElectorFor({ ...base, apePat: '', apeMat: '' }, '000')).toBe('XXXXJN82050602H000');
  });
  it('is the same for every spelling of a name', () => {
    const a = claveElectorFor({ ...base, nombre: 'MARIA GUADALUPE', sexo: 'M' }, '100');
    expect(claveElectorFor({ ...base, nombre: 'MA. GPE.', sexo: 'M' }, '100')).toBe(a);
    expect(a).toMatch(/^[A-Z]{6}\d{8}[HM]\d{3}$/);
  });
  it('refuses bad input', () => {
    expect(() => claveElectorFor({ ...base, birthStateCode: '33' }, '000')).toThrow(/birth state code/);
    expect(() => claveElectorFor(base, '0A0')).toThrow(/3 digits/);
  });
});

describe('ageOn', () => {
  it('counts whole years, the birthday included', () => {
    expect(ageOn('20080101', '2026-01-01')).toBe(18);
    expect(ageOn('20080102', '2026-01-01')).toBe(17);
    expect(ageOn('19251231', '20251231')).toBe(100);
  });
  it('reaches a 29 February birthday on 1 March in common years', () => {
    expect(ageOn('20000229', '2018-02-28')).toBe(17);
    expect(ageOn('20000229', '2018-03-01')).toBe(18);
  });
  it('refuses impossible dates', () => {
    expect(() => ageOn('20010229', '2026-01-01')).toThrow(RollmarkError);
    expect(() => ageOn('20000101', '2026-13-01')).toThrow(/asOf/);
  });
});
