/**
 * The mx-ine layout: the 27 columns of the padrón copies handed to the parties, in the order the
 * contract fixes (modelled on the layout reported for the 2016 leak; the official one is not
 * public), and the 32 entidades with the figures the synthetic registry is sized by.
 */
export const MX_INE_COLUMNS = [
  'CONSECUTIVO', 'ELECTOR', 'FOL_NAC', 'OCR', 'APE_PAT', 'APE_MAT', 'NOMBRE', 'FNAC', 'EDAD',
  'SEXO', 'CURP', 'OCUPACION', 'CALLE', 'NUM_EXT', 'NUM_INT', 'COLONIA', 'CODPOSTAL', 'TIEMPRES',
  'ENTIDAD', 'DISTRITO', 'MUNICIPIO', 'NOM_MUN', 'SECCION', 'LOCALIDAD', 'MANZANA', 'EMISIONCRE',
  'CONS_LC',
] as const;

export type MxIneColumn = (typeof MX_INE_COLUMNS)[number];

/** Column positions by name, so code reads `COL.CURP` rather than a bare 10. */
export const COL = Object.fromEntries(MX_INE_COLUMNS.map((c, i) => [c, i])) as { readonly [K in MxIneColumn]: number };

export interface Entidad {
  /** Two-digit INEGI code, as written in ENTIDAD and in the clave de elector. */
  code: string;
  /** Uppercase, no accents, as the list writes it. */
  name: string;
  /** The two letters the CURP uses for a birth in this entidad. */
  curp: string;
  /** Federal electoral districts after the 2023 redistricting (300 in all). */
  federalDistricts: number;
  /** Electors on the 2024 lista nominal (about 98.4 million in all). */
  listaNominal2024: number;
}

/** INEGI order; figures from INE's public reports (see data/mx-ine/README.md of the project). */
export const ENTIDADES: readonly Entidad[] = (
  [
    ['01', 'AGUASCALIENTES', 'AS', 3, 1083147],
    ['02', 'BAJA CALIFORNIA', 'BC', 9, 3199439],
    ['03', 'BAJA CALIFORNIA SUR', 'BS', 2, 606447],
    ['04', 'CAMPECHE', 'CC', 2, 687667],
    ['05', 'COAHUILA', 'CL', 8, 2398200],
    ['06', 'COLIMA', 'CM', 2, 586206],
    ['07', 'CHIAPAS', 'CS', 13, 3973483],
    ['08', 'CHIHUAHUA', 'CH', 9, 3094300],
    ['09', 'CIUDAD DE MEXICO', 'DF', 22, 7931424],
    ['10', 'DURANGO', 'DG', 4, 1417082],
    ['11', 'GUANAJUATO', 'GT', 15, 4878586],
    ['12', 'GUERRERO', 'GR', 8, 2712392],
    ['13', 'HIDALGO', 'HG', 7, 2384066],
    ['14', 'JALISCO', 'JC', 20, 6657461],
    ['15', 'MEXICO', 'MC', 40, 12874843],
    ['16', 'MICHOACAN', 'MN', 11, 3840111],
    ['17', 'MORELOS', 'MS', 5, 1557790],
    ['18', 'NAYARIT', 'NT', 3, 958603],
    ['19', 'NUEVO LEON', 'NL', 14, 4425760],
    ['20', 'OAXACA', 'OC', 10, 3154946],
    ['21', 'PUEBLA', 'PL', 16, 4985039],
    ['22', 'QUERETARO', 'QT', 6, 1884911],
    ['23', 'QUINTANA ROO', 'QR', 4, 1437454],
    ['24', 'SAN LUIS POTOSI', 'SP', 7, 2209101],
    ['25', 'SINALOA', 'SL', 7, 2358560],
    ['26', 'SONORA', 'SR', 7, 2275970],
    ['27', 'TABASCO', 'TC', 6, 1792641],
    ['28', 'TAMAULIPAS', 'TS', 8, 2851764],
    ['29', 'TLAXCALA', 'TL', 3, 1036420],
    ['30', 'VERACRUZ', 'VZ', 19, 6067004],
    ['31', 'YUCATAN', 'YN', 6, 1744586],
    ['32', 'ZACATECAS', 'ZS', 4, 1303843],
  ] as const
).map(([code, name, curp, federalDistricts, listaNominal2024]) => ({ code, name, curp, federalDistricts, listaNominal2024 }));

/** A birth outside Mexico: CURP writes NE (nacido en el extranjero), the clave de elector 87. */
export const BORN_ABROAD = { curp: 'NE', code: '87' } as const;

const BY_CODE = new Map(ENTIDADES.map((e) => [e.code, e]));

/** The entidad with a two-digit code, or undefined. */
export function entidadByCode(code: string): Entidad | undefined {
  return BY_CODE.get(code);
}

/** The CURP state letters for a clave de elector birth-state code ('01'..'32', or '87' abroad). */
export function curpStateForCode(code: string): string | undefined {
  return code === BORN_ABROAD.code ? BORN_ABROAD.curp : BY_CODE.get(code)?.curp;
}
