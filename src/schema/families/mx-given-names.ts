/**
 * Given-name abbreviations the list itself uses. J. stands for JOSE, JUAN and JESUS and is
 * therefore not a family: a reader could not tell which spelling the copy carried.
 */
export default `
MARIA | MA.
GUADALUPE | GPE.
FRANCISCO | FCO.
`;
