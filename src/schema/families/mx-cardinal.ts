/**
 * Cardinal points in street and settlement names (16 DE SEPTIEMBRE NTE., COL. CENTRO OTE.).
 * SUR has no abbreviation in use and stays out.
 */
export default `
NORTE | NTE. | NTE
ORIENTE | OTE. | OTE
PONIENTE | PTE. | PTE
`;
