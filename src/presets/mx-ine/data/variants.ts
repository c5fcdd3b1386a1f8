/**
 * The spellings the list itself mixes for one word, with the share each takes in the synthetic
 * registry. Field marks later choose among exactly these spellings, so every group here is one
 * of the built-in families' groups (long form first) and every spelling keeps a realistic share:
 * a copy that wrote only one of them would stand out.
 */
export type Spellings = readonly (readonly [text: string, weight: number])[];

export interface VariantWord {
  /** The long form. */
  long: string;
  /** How often this word is chosen among its kind (street types, settlement types). */
  share: number;
  spellings: Spellings;
}

/** Street types, as the CALLE line writes them (INE credential and libpostal `es` usage). */
export const STREET_TYPES: readonly VariantWord[] = [
  { long: 'CALLE', share: 0.62, spellings: [['CALLE', 0.35], ['C', 0.65]] },
  { long: 'AVENIDA', share: 0.12, spellings: [['AVENIDA', 0.25], ['AV.', 0.45], ['AV', 0.3]] },
  { long: 'PRIVADA', share: 0.07, spellings: [['PRIVADA', 0.45], ['PRIV.', 0.4], ['PRIV', 0.15]] },
  { long: 'CERRADA', share: 0.04, spellings: [['CERRADA', 0.45], ['CDA.', 0.4], ['CDA', 0.15]] },
  { long: 'ANDADOR', share: 0.025, spellings: [['ANDADOR', 0.5], ['AND.', 0.35], ['AND', 0.15]] },
  { long: 'CALZADA', share: 0.015, spellings: [['CALZADA', 0.55], ['CALZ.', 0.35], ['CALZ', 0.1]] },
  { long: 'BOULEVARD', share: 0.02, spellings: [['BOULEVARD', 0.35], ['BLVD.', 0.45], ['BLVD', 0.2]] },
  { long: 'PROLONGACION', share: 0.025, spellings: [['PROLONGACION', 0.5], ['PROL.', 0.38], ['PROL', 0.12]] },
  { long: 'CARRETERA', share: 0.01, spellings: [['CARRETERA', 0.55], ['CARR.', 0.35], ['CARR', 0.1]] },
  { long: 'CAMINO', share: 0.01, spellings: [['CAMINO', 1]] },
  { long: 'CALLEJON', share: 0.015, spellings: [['CALLEJON', 0.55], ['CJON.', 0.35], ['CJON', 0.1]] },
  { long: 'CIRCUITO', share: 0.01, spellings: [['CIRCUITO', 0.5], ['CTO.', 0.4], ['CTO', 0.1]] },
  { long: 'RETORNO', share: 0.01, spellings: [['RETORNO', 0.5], ['RET.', 0.4], ['RET', 0.1]] },
];

/** Cardinal points closing a street or settlement name (16 DE SEPTIEMBRE NTE). */
export const CARDINALS: readonly VariantWord[] = [
  { long: 'NORTE', share: 0.3, spellings: [['NORTE', 0.45], ['NTE.', 0.2], ['NTE', 0.35]] },
  { long: 'SUR', share: 0.25, spellings: [['SUR', 1]] },
  { long: 'ORIENTE', share: 0.25, spellings: [['ORIENTE', 0.45], ['OTE.', 0.2], ['OTE', 0.35]] },
  { long: 'PONIENTE', share: 0.2, spellings: [['PONIENTE', 0.45], ['PTE.', 0.2], ['PTE', 0.35]] },
];

/** Settlement types, as the COLONIA line writes them; '' is a settlement written by name alone. */
export const SETTLEMENT_TYPES: readonly VariantWord[] = [
  { long: 'COLONIA', share: 0.62, spellings: [['COLONIA', 0.2], ['COL.', 0.3], ['COL', 0.5]] },
  { long: 'FRACCIONAMIENTO', share: 0.14, spellings: [['FRACCIONAMIENTO', 0.3], ['FRACC.', 0.35], ['FRACC', 0.35]] },
  { long: 'BARRIO', share: 0.07, spellings: [['BARRIO', 0.5], ['BARR.', 0.2], ['BARR', 0.3]] },
  { long: 'UNIDAD HABITACIONAL', share: 0.05, spellings: [['UNIDAD HABITACIONAL', 0.35], ['U.H.', 0.4], ['UH', 0.25]] },
  { long: 'RESIDENCIAL', share: 0.03, spellings: [['RESIDENCIAL', 0.6], ['RESID.', 0.3], ['RESID', 0.1]] },
  { long: 'CONJUNTO HABITACIONAL', share: 0.02, spellings: [['CONJUNTO HABITACIONAL', 0.6], ['CONJ. HAB.', 0.4]] },
  { long: '', share: 0.07, spellings: [['', 1]] },
];

/** Numbering words of NUM_EXT and NUM_INT. */
export const SIN_NUMERO: Spellings = [['SIN NUMERO', 0.2], ['S/N', 0.5], ['SN', 0.3]];
export const MANZANA: Spellings = [['MANZANA', 0.15], ['MZ.', 0.25], ['MZ', 0.6]];
export const LOTE: Spellings = [['LOTE', 0.15], ['LT.', 0.25], ['LT', 0.6]];
export const DEPARTAMENTO: Spellings = [['DEPARTAMENTO', 0.15], ['DEPTO.', 0.35], ['DEPTO', 0.5]];
export const EDIFICIO: Spellings = [['EDIFICIO', 0.3], ['EDIF.', 0.35], ['EDIF', 0.35]];

/**
 * Given names the list abbreviates. Only in a compound name (MA. GUADALUPE, FCO. JAVIER): a
 * woman called MARIA alone is never written MA. J. is not here: it stands for JOSE, JUAN and
 * JESUS alike.
 */
export const GIVEN_NAME_SPELLINGS: Readonly<Record<string, Spellings>> = {
  MARIA: [['MARIA', 0.8], ['MA.', 0.2]],
  GUADALUPE: [['GUADALUPE', 0.87], ['GPE.', 0.13]],
  FRANCISCO: [['FRANCISCO', 0.88], ['FCO.', 0.12]],
};

/**
 * Abbreviation -> given name, with and without the dot (a dump may have lost it). The identity
 * rules read a name through this, so a row's CURP and clave do not change with its spelling.
 */
export const GIVEN_NAME_ABBREVIATIONS: ReadonlyMap<string, string> = new Map(
  Object.entries(GIVEN_NAME_SPELLINGS).flatMap(([long, spellings]) =>
    spellings.filter(([s]) => s !== long).flatMap(([s]) => [[s, long] as const, [s.replace(/\./g, ''), long] as const]),
  ),
);
