/**
 * Street types as the Mexican voter list writes them: one equivalence group a line, long form
 * first, then the abbreviations INE's credential and libpostal's `es` street_types dictionary
 * both use. Only spellings that stand for one word and nothing else are listed.
 */
export default `
@anchor start
CALLE | C
AVENIDA | AV. | AV
PRIVADA | PRIV. | PRIV
CERRADA | CDA. | CDA
CALZADA | CALZ. | CALZ
BOULEVARD | BLVD. | BLVD
ANDADOR | AND. | AND
PROLONGACION | PROL. | PROL
CARRETERA | CARR. | CARR
CALLEJON | CJON. | CJON
CIRCUITO | CTO. | CTO
RETORNO | RET. | RET
`;
