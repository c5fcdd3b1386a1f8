import type { SchemaFile } from '../../schema/types.js';

/**
 * The mx-ine schema, as the contract states it: key ELECTOR; unique CURP, OCR, FOL_NAC; match
 * sets [APE_PAT, APE_MAT, NOMBRE, FNAC] and [CURP]; group ENTIDAD+SECCION; canaries about one per
 * 10,000 rows per recipient, at least one per section, never more than 2% of a copy.
 *
 * Canary blocks keep together what must agree inside one person: a given name with its sex, a
 * birth date with the age, an address with its postal code and locality. ELECTOR and CURP are
 * then derived from the composed person (see canary-mx-ine.ts), so they pass every rule a real
 * row passes.
 */
export const MX_INE_SCHEMA: SchemaFile = {
  key: 'ELECTOR',
  unique: ['CURP', 'OCR', 'FOL_NAC'],
  match: [['APE_PAT', 'APE_MAT', 'NOMBRE', 'FNAC'], ['CURP']],
  group: 'ENTIDAD+SECCION',
  sequence: 'CONSECUTIVO',
  marks: [
    { column: 'NOMBRE', families: ['mx-given-names', 'composition'] },
    { column: 'APE_PAT', families: ['composition'] },
    { column: 'APE_MAT', families: ['composition'] },
    { column: 'CALLE', families: ['mx-street-types', 'mx-cardinal', 'mx-numbering', 'whitespace', 'composition'] },
    { column: 'NUM_EXT', families: ['mx-numbering'] },
    { column: 'NUM_INT', families: ['mx-numbering'] },
    { column: 'COLONIA', families: ['mx-settlements', 'mx-cardinal', 'mx-numbering', 'whitespace', 'composition'] },
  ],
  canaries: {
    per: 10000,
    maxShare: 0.02,
    blocks: [
      ['NOMBRE', 'SEXO'],
      ['APE_PAT'],
      ['APE_MAT'],
      // A life's dates: age, years at the address and the credential's issue year must agree.
      ['FNAC', 'EDAD', 'TIEMPRES', 'EMISIONCRE', 'CONS_LC'],
      ['OCUPACION'],
      ['CALLE', 'NUM_EXT', 'NUM_INT', 'COLONIA', 'CODPOSTAL', 'LOCALIDAD', 'MANZANA'],
    ],
  },
};
