import { COL } from '../presets/mx-ine/columns.js';
import { RURAL_LOCALITIES, RURAL_PREFIXES, SETTLEMENT_NAMES, STREET_NAMES } from '../presets/mx-ine/data/addresses.js';
import {
  CARDINALS, DEPARTAMENTO, EDIFICIO, LOTE, MANZANA, SETTLEMENT_TYPES, SIN_NUMERO, STREET_TYPES, type VariantWord,
} from '../presets/mx-ine/data/variants.js';
import { AliasTable, WeightedChoice } from './alias.js';
import type { SectionPlan } from './geography.js';
import type { Rng } from './prng.js';

/**
 * Addresses as the list writes them. A section gets its own streets and settlements once; each
 * row then picks a street and writes it with freshly drawn spellings (C or CALLE, AV. or AV,
 * COL or COLONIA ...), so every spelling keeps its share throughout the registry.
 */

/** Share of rows in a rural section whose address is "DOMICILIO CONOCIDO" (about 4% overall). */
const DOMICILIO_CONOCIDO = 0.18;
/** Entidades whose streets are numbered with the crossing streets (C 57 X 54 Y 58). */
const CROSSING_STREETS: Readonly<Record<string, number>> = { '31': 0.85, '04': 0.4 };
/** Share of urban sections written in blocks and lots (MZ 12 LT 5): housing estates. */
const BLOCK_AND_LOT: Readonly<Record<string, number>> = { '15': 0.25, '09': 0.2 };
const BLOCK_AND_LOT_DEFAULT = 0.1;

interface Street {
  type: number;
  name: string;
  cardinal: number;
  crossing: boolean;
  settlement: number;
  block: number;
}

interface Settlement {
  type: number;
  /** Written with no type word at all in this share of rows (CENTRO alone). */
  bare: number;
  name: string;
  cardinal: number;
  postal: string;
  localidad: string;
}

class Variants {
  readonly which: AliasTable;
  readonly spell: WeightedChoice<string>[];
  constructor(readonly words: readonly VariantWord[]) {
    this.which = new AliasTable(words.map((w) => w.share));
    this.spell = words.map((w) => WeightedChoice.of(w.spellings));
  }
}

const streetTypes = new Variants(STREET_TYPES);
const cardinals = new Variants(CARDINALS);
const settlementTypes = new Variants(SETTLEMENT_TYPES);
const CALLE = STREET_TYPES.findIndex((w) => w.long === 'CALLE');
const COLONIA = SETTLEMENT_TYPES.findIndex((w) => w.long === 'COLONIA');
const NO_TYPE = SETTLEMENT_TYPES.findIndex((w) => w.long === '');
const sinNumero = WeightedChoice.of(SIN_NUMERO);
const manzana = WeightedChoice.of(MANZANA);
const lote = WeightedChoice.of(LOTE);
const depto = WeightedChoice.of(DEPARTAMENTO);
const edificio = WeightedChoice.of(EDIFICIO);
const LETTERS = 'ABCDEF';

const pad = (n: number, w: number) => String(n).padStart(w, '0');
const pick = <T>(xs: readonly T[], rng: Rng): T => xs[rng.below(xs.length)];

/** One section's streets and settlements, and the per-row address drawing. */
export class SectionAddresses {
  private readonly streets: Street[] = [];
  private readonly settlements: Settlement[] = [];
  private readonly rural: boolean;
  private readonly blockAndLot: boolean;

  constructor(plan: SectionPlan, entidadCode: string, rng: Rng) {
    this.rural = plan.rural;
    this.blockAndLot = !plan.rural && rng.chance(BLOCK_AND_LOT[entidadCode] ?? BLOCK_AND_LOT_DEFAULT);
    const crossing = (CROSSING_STREETS[entidadCode] ?? 0) * (plan.rural ? 0.6 : 1);
    const prefix = plan.municipio.postalPrefix * 1000;

    const nSettlements = plan.rural ? 1 + rng.below(3) : Math.min(5, 1 + Math.floor(plan.rows / 500) + rng.below(2));
    const usedNumbers = new Set<number>();
    for (let i = 0; i < nSettlements; i++) {
      if (plan.rural) {
        let loc = 2 + rng.below(900);
        while (usedNumbers.has(loc)) loc = 2 + rng.below(900);
        usedNumbers.add(loc);
        const name = rng.chance(0.3) ? `${pick(RURAL_PREFIXES, rng)} ${pick(RURAL_LOCALITIES, rng)}` : pick(RURAL_LOCALITIES, rng);
        this.settlements.push({ type: NO_TYPE, bare: 1, name, cardinal: -1, postal: pad(prefix + rng.below(1000), 5), localidad: pad(loc, 4) });
        continue;
      }
      const seat = plan.seat && i === 0 && plan.municipio.rank <= 40;
      let name = seat ? 'CENTRO' : pick(SETTLEMENT_NAMES, rng);
      if (!seat && rng.chance(0.08)) name = `AMPLIACION ${name}`;
      else if (!seat && rng.chance(0.04)) name = `${name} ${1 + rng.below(3)}A SECCION`;
      this.settlements.push({
        type: seat ? COLONIA : settlementTypes.which.sample(rng),
        bare: seat ? 0.5 : 0,
        name,
        cardinal: rng.chance(0.05) ? cardinals.which.sample(rng) : -1,
        postal: pad(prefix + (seat ? 0 : rng.below(1000)), 5),
        localidad: rng.chance(0.9) ? '0001' : pad(2 + rng.below(150), 4),
      });
    }

    const nStreets = Math.min(60, Math.max(plan.rural ? 3 : 6, Math.round(plan.rows / 35)));
    let block = 1;
    for (let i = 0; i < nStreets; i++) {
      const isCrossing = rng.chance(crossing);
      const numbered = isCrossing || rng.chance(0.12);
      const name = numbered ? String(1 + rng.below(isCrossing ? 120 : 40)) + (rng.chance(0.03) ? ' A' : '') : pick(STREET_NAMES, rng);
      this.streets.push({
        type: isCrossing ? CALLE : streetTypes.which.sample(rng),
        name,
        cardinal: !isCrossing && rng.chance(numbered ? 0.4 : 0.12) ? cardinals.which.sample(rng) : -1,
        crossing: isCrossing,
        settlement: rng.below(nSettlements),
        block,
      });
      block += 1 + rng.below(4);
    }
  }

  /** Writes CALLE, NUM_EXT, NUM_INT, COLONIA, CODPOSTAL, LOCALIDAD and MANZANA of one row. */
  draw(rng: Rng, f: string[]): void {
    const st = this.streets[rng.below(this.streets.length)];
    const se = this.settlements[st.settlement];
    f[COL.CODPOSTAL] = se.postal;
    f[COL.LOCALIDAD] = se.localidad;
    f[COL.COLONIA] = this.settlement(se, rng);
    f[COL.NUM_INT] = rng.chance(0.16) ? this.interior(rng) : '';

    if (this.rural && rng.chance(DOMICILIO_CONOCIDO)) {
      f[COL.CALLE] = 'DOMICILIO CONOCIDO';
      f[COL.NUM_EXT] = rng.chance(0.6) ? sinNumero.pick(rng) : '';
      f[COL.NUM_INT] = '';
      f[COL.MANZANA] = '';
      return;
    }
    f[COL.MANZANA] = String(st.block + rng.below(3));
    let calle = streetTypes.spell[st.type].pick(rng) + ' ' + st.name;
    if (st.crossing) {
      // A numbered street crosses streets of the other parity: C 57 X 54 Y 56.
      const main = parseInt(st.name, 10);
      const a = 2 * (1 + rng.below(60)) - (main % 2 === 0 ? 1 : 0);
      calle += ' X ' + a + ' Y ' + (a + (rng.chance(0.7) ? 2 : 4));
    } else if (st.cardinal >= 0) {
      calle += ' ' + cardinals.spell[st.cardinal].pick(rng);
    }
    f[COL.CALLE] = calle;
    f[COL.NUM_EXT] = this.exterior(st, rng);
  }

  private settlement(se: Settlement, rng: Rng): string {
    let s = se.bare > 0 && rng.chance(se.bare) ? se.name : (se.type === NO_TYPE ? '' : settlementTypes.spell[se.type].pick(rng) + ' ') + se.name;
    if (se.cardinal >= 0) s += ' ' + cardinals.spell[se.cardinal].pick(rng);
    return s;
  }

  private exterior(st: Street, rng: Rng): string {
    if (this.blockAndLot && rng.chance(0.7)) {
      return manzana.pick(rng) + ' ' + (st.block + rng.below(3)) + ' ' + lote.pick(rng) + ' ' + (1 + rng.below(40));
    }
    if (rng.chance(0.06)) return sinNumero.pick(rng);
    const u = rng.float();
    const n = st.crossing ? 100 + rng.below(900) : u < 0.55 ? 1 + rng.below(199) : u < 0.85 ? 200 + rng.below(800) : 1000 + rng.below(2000);
    const v = rng.float();
    return v < 0.03 ? n + ' ' + LETTERS[rng.below(4)] : v < 0.06 ? n + '-' + LETTERS[rng.below(4)] : String(n);
  }

  private interior(rng: Rng): string {
    const u = rng.float();
    if (u < 0.35) return String(1 + rng.below(30));
    if (u < 0.6) return LETTERS[rng.below(LETTERS.length)];
    if (u < 0.75) return depto.pick(rng) + ' ' + (1 + rng.below(4)) + pad(1 + rng.below(8), 2);
    if (u < 0.8) return edificio.pick(rng) + ' ' + LETTERS[rng.below(LETTERS.length)] + ' ' + depto.pick(rng) + ' ' + (1 + rng.below(30));
    if (u < 0.95) return 'CASA ' + (1 + rng.below(40));
    return 'LOCAL ' + (1 + rng.below(20));
  }
}
