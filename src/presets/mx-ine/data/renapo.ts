/**
 * Tables of RENAPO's "Instructivo normativo para la asignación de la CURP" (Segob), the rules
 * both the CURP and the clave de elector are built by.
 */

/**
 * Prepositions, conjunctions and contractions that are skipped in compound names and surnames
 * (DE LA CRUZ -> CRUZ, MARIA DEL CARMEN -> CARMEN).
 */
export const NAME_PARTICLES: ReadonlySet<string> = new Set([
  'DA', 'DAS', 'DE', 'DEL', 'DER', 'DI', 'DIE', 'DD', 'EL', 'LA', 'LOS', 'LAS', 'LE', 'LES', 'MAC',
  'MC', 'VAN', 'VON', 'Y',
]);

/**
 * First given names that give way to the second one when there is a second (MARIA GUADALUPE ->
 * GUADALUPE, JOSE LUIS -> LUIS): they are so common they would not tell people apart.
 */
export const SKIPPED_FIRST_NAMES: ReadonlySet<string> = new Set(['MARIA', 'MA.', 'MA', 'M.', 'M', 'JOSE', 'J.', 'J']);

/**
 * Anexo 2, "catálogo de palabras inconvenientes": when the first four letters of a CURP spell
 * one of these, the second letter becomes X (BUEI -> BXEI).
 */
export const INCONVENIENT_WORDS: ReadonlySet<string> = new Set([
  'BACA', 'BAKA', 'BUEI', 'BUEY', 'CACA', 'CACO', 'CAGA', 'CAGO', 'CAKA', 'CAKO', 'COGE', 'COGI',
  'COJA', 'COJE', 'COJI', 'COJO', 'COLA', 'CULO', 'FALO', 'FETO', 'GETA', 'GUEI', 'GUEY', 'JETA',
  'JOTO', 'KACA', 'KACO', 'KAGA', 'KAGO', 'KAKA', 'KAKO', 'KOGE', 'KOGI', 'KOJA', 'KOJE', 'KOJI',
  'KOJO', 'KOLA', 'KULO', 'LILO', 'LOCA', 'LOCO', 'LOKA', 'LOKO', 'MAME', 'MAMO', 'MEAR', 'MEAS',
  'MEON', 'MIAR', 'MION', 'MOCO', 'MOKO', 'MULA', 'MULO', 'NACA', 'NACO', 'PEDA', 'PEDO', 'PENE',
  'PIPI', 'PITO', 'POPO', 'PUTA', 'PUTO', 'QULO', 'RATA', 'ROBA', 'ROBE', 'ROBO', 'RUIN', 'SENO',
  'TETA', 'VACA', 'VAGA', 'VAGO', 'VAKA', 'VUEI', 'VUEY', 'WUEI', 'WUEY',
]);

/** The check-digit alphabet of python-stdnum's mx/curp: a character's value is its index. */
export const CURP_ALPHABET = '0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ';
