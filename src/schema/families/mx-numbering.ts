/**
 * Address numbering words: "sin numero" and the block/lot/flat words of MZ/LT addresses.
 */
export default `
SIN NUMERO | S/N | SN
MANZANA | MZ. | MZ
LOTE | LT. | LT
DEPARTAMENTO | DEPTO. | DEPTO
EDIFICIO | EDIF. | EDIF
`;
