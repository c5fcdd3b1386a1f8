/**
 * Settlement types (the COLONIA line): one equivalence group a line, long form first. Sources:
 * INE's credential layout ("COL ...", "FRACC ...", "BARR ...") and libpostal's `es` dictionaries.
 */
export default `
@anchor start
COLONIA | COL. | COL
FRACCIONAMIENTO | FRACC. | FRACC
BARRIO | BARR. | BARR
UNIDAD HABITACIONAL | U.H. | UH
RESIDENCIAL | RESID. | RESID
CONJUNTO HABITACIONAL | CONJ. HAB.
`;
