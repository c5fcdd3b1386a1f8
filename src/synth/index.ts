/** The synthetic registry generator: the mx-ine layout filled with realistic, seeded data. */
export { synthesizeRegistry, writeSyntheticRegistry, type SynthProgress } from './registry.js';
export { resolveSynthOptions, DEFAULT_AS_OF, DEFAULT_SEED, MAX_ROWS, type SynthOptions, type ResolvedSynthOptions } from './options.js';
export { MX_INE_COLUMNS, ENTIDADES, type Entidad } from '../presets/mx-ine/columns.js';
export {
  curpFor, curpCheckDigit, claveElectorFor, ageOn, type CurpPerson, type ClavePerson, type Sexo,
} from '../presets/mx-ine/identity.js';
