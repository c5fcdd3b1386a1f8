import { RURAL_LOCALITIES, RURAL_PREFIXES, SETTLEMENT_NAMES, STREET_NAMES } from '../presets/mx-ine/data/addresses.js';
import {
  CARDINALS, DEPARTAMENTO, EDIFICIO, LOTE, MANZANA, SETTLEMENT_TYPES, SIN_NUMERO, STREET_TYPES, type Spellings, type VariantWord,
} from '../presets/mx-ine/data/variants.js';
import { AliasTable, WeightedChoice } from './alias.js';
import type { SectionPlan } from './geography.js';
import type { Rng } from './prng.js';
import type { RowWriter } from './row-writer.js';

/**
 * Addresses as the list writes them. A section gets its own streets and settlements once; each
 * row then picks a street and draws with freshly drawn spellings (C or CALLE, AV. or AV,
 * COL or COLONIA ...), so every spelling keeps its share throughout the registry.
 */

/** Share of rows in a rural section whose address is "DOMICILIO CONOCIDO" (about 4% overall). */
const DOMICILIO_CONOCIDO = 0.15;
/** Entidades whose streets are numbered with the crossing streets (C 57 X 54 Y 58). */
const CROSSING_STREETS: Readonly<Record<string, number>> = { '31': 0.85, '04': 0.4 };
/** Share of urban sections written in blocks and lots (MZ 12 LT 5): housing estates. */
const BLOCK_AND_LOT: Readonly<Record<string, number>> = { '15': 0.25, '09': 0.2 };
const BLOCK_AND_LOT_DEFAULT = 0.1;

const enum Exterior { None, Word, Number, BlockAndLot }
const enum Interior { None, Number, Letter, Flat, BuildingFlat, House, Shop }

interface Street {
  type: number;
  name: string;
  /** The street's number, for streets named by one. */
  number: number;
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

/** A kind of word (street type, cardinal ...): which word, then which spelling of it. */
class Variants {
  readonly which: AliasTable;
  /** Spellings with the space that follows them (C , AV. ); '' stays ''. */
  readonly before: WeightedChoice<string>[];
  /** Spellings with the space that precedes them ( NTE). */
  readonly after: WeightedChoice<string>[];
  constructor(readonly words: readonly VariantWord[]) {
    this.which = new AliasTable(words.map((w) => w.share));
    const spaced = (f: (s: string) => string) => words.map((w) => WeightedChoice.of(w.spellings.map(([s, n]) => [s === '' ? '' : f(s), n] as const)));
    this.before = spaced((s) => s + ' ');
    this.after = spaced((s) => ' ' + s);
  }
}

const streetTypes = new Variants(STREET_TYPES);
const cardinals = new Variants(CARDINALS);
const settlementTypes = new Variants(SETTLEMENT_TYPES);
const CALLE = STREET_TYPES.findIndex((w) => w.long === 'CALLE');
const COLONIA = SETTLEMENT_TYPES.findIndex((w) => w.long === 'COLONIA');
const NO_TYPE = SETTLEMENT_TYPES.findIndex((w) => w.long === '');
const sinNumero = WeightedChoice.of(SIN_NUMERO);
const spacedAround = (xs: Spellings, lead: string) => WeightedChoice.of(xs.map(([s, n]) => [lead + s + ' ', n] as const));
const manzana = spacedAround(MANZANA, '');
const lote = spacedAround(LOTE, ' ');
const depto = spacedAround(DEPARTAMENTO, '');
const edificio = spacedAround(EDIFICIO, '');
const LETTERS = 'ABCDEF'.split('');
const SPACED_LETTERS = LETTERS.map((l) => ' ' + l);
const DASHED_LETTERS = LETTERS.map((l) => '-' + l);

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
      const number = numbered ? 1 + rng.below(isCrossing ? 120 : 40) : 0;
      const name = numbered ? String(number) + (rng.chance(0.03) ? ' A' : '') : pick(STREET_NAMES, rng);
      this.streets.push({
        type: isCrossing ? CALLE : streetTypes.which.sample(rng),
        name,
        number,
        cardinal: !isCrossing && rng.chance(numbered ? 0.4 : 0.12) ? cardinals.which.sample(rng) : -1,
        crossing: isCrossing,
        settlement: rng.below(nSettlements),
        block,
      });
      block += 1 + rng.below(4);
    }
  }

  // The current row's choices, drawn by draw() and written by the write methods.
  private st!: Street;
  private se!: Settlement;
  private conocido = false;
  private streetType = '';
  private cardinal = '';
  private crossA = 0;
  private crossB = 0;
  private ext = Exterior.None;
  private extWord = '';
  private extWord2 = '';
  private extN = 0;
  private extN2 = 0;
  private extSuffix = '';
  private int = Interior.None;
  private intWord = '';
  private intWord2 = '';
  private intLetter = '';
  private intN = 0;
  private settlementType = '';
  private settlementCardinal = '';
  private manzana = -1;

  /** Draws one row's address. */
  draw(rng: Rng): void {
    const st = (this.st = this.streets[rng.below(this.streets.length)]);
    const se = (this.se = this.settlements[st.settlement]);
    this.settlementType = se.bare > 0 && rng.chance(se.bare) ? '' : settlementTypes.before[se.type].pick(rng);
    this.settlementCardinal = se.cardinal >= 0 ? cardinals.after[se.cardinal].pick(rng) : '';
    this.conocido = this.rural && rng.chance(DOMICILIO_CONOCIDO);
    if (this.conocido) {
      this.ext = rng.chance(0.6) ? Exterior.Word : Exterior.None;
      if (this.ext === Exterior.Word) this.extWord = sinNumero.pick(rng);
      this.int = Interior.None;
      this.manzana = -1;
      return;
    }
    this.manzana = st.block + rng.below(3);
    this.streetType = streetTypes.before[st.type].pick(rng);
    this.cardinal = '';
    if (st.crossing) {
      // A numbered street crosses streets of the other parity: C 57 X 54 Y 56.
      this.crossA = 2 * (1 + rng.below(60)) - (st.number % 2 === 0 ? 1 : 0);
      this.crossB = this.crossA + (rng.chance(0.7) ? 2 : 4);
    } else if (st.cardinal >= 0) {
      this.cardinal = cardinals.after[st.cardinal].pick(rng);
    }
    this.drawExterior(st, rng);
    this.drawInterior(rng);
  }

  private drawExterior(st: Street, rng: Rng): void {
    if (this.blockAndLot && rng.chance(0.7)) {
      this.ext = Exterior.BlockAndLot;
      this.extWord = manzana.pick(rng);
      this.extN = st.block + rng.below(3);
      this.extWord2 = lote.pick(rng);
      this.extN2 = 1 + rng.below(40);
      return;
    }
    if (rng.chance(0.06)) {
      this.ext = Exterior.Word;
      this.extWord = sinNumero.pick(rng);
      return;
    }
    this.ext = Exterior.Number;
    const u = rng.float();
    this.extN = st.crossing ? 100 + rng.below(900) : u < 0.55 ? 1 + rng.below(199) : u < 0.85 ? 200 + rng.below(800) : 1000 + rng.below(2000);
    const v = rng.float();
    this.extSuffix = v < 0.03 ? SPACED_LETTERS[rng.below(4)] : v < 0.06 ? DASHED_LETTERS[rng.below(4)] : '';
  }

  private drawInterior(rng: Rng): void {
    if (!rng.chance(0.16)) {
      this.int = Interior.None;
      return;
    }
    const u = rng.float();
    if (u < 0.35) (this.int = Interior.Number), (this.intN = 1 + rng.below(30));
    else if (u < 0.6) (this.int = Interior.Letter), (this.intLetter = LETTERS[rng.below(LETTERS.length)]);
    else if (u < 0.75) (this.int = Interior.Flat), (this.intWord = depto.pick(rng)), (this.intN = (1 + rng.below(4)) * 100 + 1 + rng.below(8));
    else if (u < 0.8) {
      this.int = Interior.BuildingFlat;
      this.intWord = edificio.pick(rng);
      this.intLetter = LETTERS[rng.below(LETTERS.length)];
      this.intWord2 = depto.pick(rng);
      this.intN = 1 + rng.below(30);
    } else if (u < 0.95) (this.int = Interior.House), (this.intN = 1 + rng.below(40));
    else (this.int = Interior.Shop), (this.intN = 1 + rng.below(20));
  }

  /** CALLE, NUM_EXT, NUM_INT, COLONIA and CODPOSTAL, each closed with next(). */
  writeStreet(w: RowWriter): void {
    if (this.conocido) {
      w.text('DOMICILIO CONOCIDO');
    } else {
      w.text(this.streetType);
      w.text(this.st.name);
      if (this.st.crossing) {
        w.text(' X ');
        w.int(this.crossA);
        w.text(' Y ');
        w.int(this.crossB);
      } else if (this.cardinal !== '') {
        w.text(this.cardinal);
      }
    }
    w.next();
    switch (this.ext) {
      case Exterior.Word:
        w.text(this.extWord);
        break;
      case Exterior.Number:
        w.int(this.extN);
        w.text(this.extSuffix);
        break;
      case Exterior.BlockAndLot:
        w.text(this.extWord);
        w.int(this.extN);
        w.text(this.extWord2);
        w.int(this.extN2);
        break;
      default:
    }
    w.next();
    this.writeInterior(w);
    w.next();
    if (this.settlementType !== '') w.text(this.settlementType);
    w.text(this.se.name);
    if (this.settlementCardinal !== '') w.text(this.settlementCardinal);
    w.next();
    w.text(this.se.postal);
    w.next();
  }

  private writeInterior(w: RowWriter): void {
    switch (this.int) {
      case Interior.Number:
        w.int(this.intN);
        break;
      case Interior.Letter:
        w.text(this.intLetter);
        break;
      case Interior.Flat:
        w.text(this.intWord);
        w.int(this.intN);
        break;
      case Interior.BuildingFlat:
        w.text(this.intWord);
        w.text(this.intLetter);
        w.text(' ');
        w.text(this.intWord2);
        w.int(this.intN);
        break;
      case Interior.House:
        w.text('CASA ');
        w.int(this.intN);
        break;
      case Interior.Shop:
        w.text('LOCAL ');
        w.int(this.intN);
        break;
      default:
    }
  }

  /** LOCALIDAD and MANZANA, each closed with next(). */
  writeLocality(w: RowWriter): void {
    w.text(this.se.localidad);
    w.next();
    if (this.manzana >= 0) w.int(this.manzana);
    w.next();
  }
}
