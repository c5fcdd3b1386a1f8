import { RollmarkError } from '../errors.js';
import { ENTIDADES, entidadByCode, type Entidad } from '../presets/mx-ine/columns.js';

export interface SynthOptions {
  /** Rows to write (1 .. 1,000,000,000). */
  rows: number;
  /** Any string; the same seed gives the same bytes. Default 'rollmark'. */
  seed?: string;
  /** Entidad codes ('09', '25' ...) to limit the registry to; all 32 by default. */
  states?: string[];
  /** The synthesis date, YYYY-MM-DD: EDAD is the age on it. Default '2026-01-01'. */
  asOf?: string;
}

export interface ResolvedSynthOptions {
  rows: number;
  seed: string;
  states: readonly Entidad[];
  asOf: { year: number; month: number; day: number; ymd: string };
}

export const DEFAULT_SEED = 'rollmark';
export const DEFAULT_AS_OF = '2026-01-01';
/** OCR's nine digits after the section number carry a permuted row ordinal, so at most 10^9. */
export const MAX_ROWS = 1_000_000_000;

function usage(message: string): RollmarkError {
  return new RollmarkError('USAGE', message);
}

/** Checks the options once; the generator trusts the result. */
export function resolveSynthOptions(opts: SynthOptions): ResolvedSynthOptions {
  const { rows } = opts;
  if (!Number.isSafeInteger(rows) || rows < 1 || rows > MAX_ROWS) {
    throw usage(`rows must be an integer from 1 to ${MAX_ROWS}, got ${String(rows)}`);
  }
  const seed = opts.seed ?? DEFAULT_SEED;
  let states: Entidad[] = [...ENTIDADES];
  if (opts.states !== undefined) {
    const codes = new Set<string>();
    for (const raw of opts.states) {
      const t = raw.trim();
      const code = /^\d{1,2}$/.test(t) ? t.padStart(2, '0') : t;
      if (entidadByCode(code) === undefined) throw usage(`unknown entidad code '${raw}' (expected 01 to 32)`);
      codes.add(code);
    }
    if (codes.size === 0) throw usage('states must name at least one entidad code');
    states = ENTIDADES.filter((e) => codes.has(e.code));
  }
  const asOfText = opts.asOf ?? DEFAULT_AS_OF;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(asOfText);
  const date = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : null;
  if (!m || !date || date.getUTCFullYear() !== Number(m[1]) || date.getUTCMonth() !== Number(m[2]) - 1 || date.getUTCDate() !== Number(m[3])) {
    throw usage(`as-of must be a date as YYYY-MM-DD, got '${asOfText}'`);
  }
  const year = Number(m[1]);
  if (year < 1920 || year > 2200) throw usage(`as-of year must be between 1920 and 2200, got ${year}`);
  return { rows, seed, states, asOf: { year, month: Number(m[2]), day: Number(m[3]), ymd: `${m[1]}${m[2]}${m[3]}` } };
}
