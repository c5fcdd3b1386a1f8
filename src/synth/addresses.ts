import { RURAL_LOCALITIES, RURAL_PREFIXES, SETTLEMENT_NAMES, STREET_NAMES } from '../presets/mx-ine/data/addresses.js';
import {
  CARDINALS, DEPARTAMENTO, EDIFICIO, LOTE, MANZANA, SETTLEMENT_TYPES, SIN_NUMERO, STREET_TYPES, type Spellings, type VariantWord,
} from '../presets/mx-ine/data/variants.js';
import { AliasTable, WeightedChoice } from './alias.js';
import type { SectionPlan } from './geography.js';
import type { Rng } from './prng.js';
import type { Atoms, RowWriter } from './row-writer.js';

/**
 * Addresses as the list writes them. A section gets its own streets and settlements once; each
 * row then picks a street and draws its spellings afresh (C or CALLE, AV. or AV, COL or
 * COLONIA ...), so every spelling keeps its share throughout the registry.
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

const CALLE = STREET_TYPES.findIndex((w) => w.long === 'CALLE');
const COLONIA = SETTLEMENT_TYPES.findIndex((w) => w.long === 'COLONIA');
const NO_TYPE = SETTLEMENT_TYPES.findIndex((w) => w.long === '');
const LETTERS = 'ABCDEF'.split('');

interface Street {
  type: number;
  /** Atom of the name. */
  name: number;
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
  /** Atoms of name, postal code and locality number. */
  name: number;
  postal: number;
  localidad: number;
  cardinal: number;
}

/** A kind of word (street type, cardinal ...): which word, then which spelling of it. */
class Variants {
  readonly which: AliasTable;
  /** Spellings with the space that follows them (C , AV. ); '' stays ''. */
  readonly before: WeightedChoice<number>[];
  /** Spellings with the space that precedes them ( NTE). */
  readonly after: WeightedChoice<number>[];
  constructor(words: readonly VariantWord[], atoms: Atoms) {
    this.which = new AliasTable(words.map((w) => w.share));
    const spaced = (f: (s: string) => string) =>
      words.map((w) => WeightedChoice.of(w.spellings.map(([s, n]) => [atoms.id(s === '' ? '' : f(s)), n] as const)));
    this.before = spaced((s) => s + ' ');
    this.after = spaced((s) => ' ' + s);
  }
}

/** The words addresses are written with, as atoms of one registry run. */
export class AddressStock {
  readonly streetTypes: Variants;
  readonly cardinals: Variants;
  readonly settlementTypes: Variants;
  readonly sinNumero: WeightedChoice<number>;
  readonly manzana: WeightedChoice<number>;
  readonly lote: WeightedChoice<number>;
  readonly depto: WeightedChoice<number>;
  readonly edificio: WeightedChoice<number>;
  readonly letter: Int32Array;
  readonly spacedLetter: Int32Array;
  readonly dashedLetter: Int32Array;
  readonly streetName: Int32Array;
  readonly conocido: number;
  readonly cross: number;
  readonly and: number;
  readonly space: number;
  readonly house: number;
  readonly shop: number;

  constructor(readonly atoms: Atoms) {
    this.streetTypes = new Variants(STREET_TYPES, atoms);
    this.cardinals = new Variants(CARDINALS, atoms);
    this.settlementTypes = new Variants(SETTLEMENT_TYPES, atoms);
    const choice = (xs: Spellings, lead: string, trail: string) => WeightedChoice.of(xs.map(([s, n]) => [atoms.id(lead + s + trail), n] as const));
    this.sinNumero = choice(SIN_NUMERO, '', '');
    this.manzana = choice(MANZANA, '', ' ');
    this.lote = choice(LOTE, ' ', ' ');
    this.depto = choice(DEPARTAMENTO, '', ' ');
    this.edificio = choice(EDIFICIO, '', ' ');
    const ids = (xs: readonly string[]) => Int32Array.from(xs.map((x) => atoms.id(x)));
    this.letter = ids(LETTERS);
    this.spacedLetter = ids(LETTERS.map((l) => ' ' + l));
    this.dashedLetter = ids(LETTERS.map((l) => '-' + l));
    this.streetName = ids(STREET_NAMES);
    this.conocido = atoms.id('DOMICILIO CONOCIDO');
    this.cross = atoms.id(' X ');
    this.and = atoms.id(' Y ');
    this.space = atoms.id(' ');
    this.house = atoms.id('CASA ');
    this.shop = atoms.id('LOCAL ');
  }
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');
const pick = <T>(xs: ArrayLike<T>, rng: Rng): T => xs[rng.below(xs.length)];

/** One section's streets and settlements, and the per-row address drawing. */
export class SectionAddresses {
  private readonly streets: Street[] = [];
  private readonly settlements: Settlement[] = [];
  private readonly rural: boolean;
  private readonly blockAndLot: boolean;

  constructor(plan: SectionPlan, entidadCode: string, rng: Rng, private readonly stock: AddressStock) {
    const { atoms, cardinals, settlementTypes, streetTypes } = stock;
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
        this.settlements.push({
          type: NO_TYPE, bare: 1, name: atoms.id(name), cardinal: -1,
          postal: atoms.id(pad(prefix + rng.below(1000), 5)), localidad: atoms.id(pad(loc, 4)),
        });
        continue;
      }
      const seat = plan.seat && i === 0 && plan.municipio.rank <= 40;
      let name = seat ? 'CENTRO' : pick(SETTLEMENT_NAMES, rng);
      if (!seat && rng.chance(0.08)) name = `AMPLIACION ${name}`;
      else if (!seat && rng.chance(0.04)) name = `${name} ${1 + rng.below(3)}A SECCION`;
      this.settlements.push({
        type: seat ? COLONIA : settlementTypes.which.sample(rng),
        bare: seat ? 0.5 : 0,
        name: atoms.id(name),
        cardinal: rng.chance(0.05) ? cardinals.which.sample(rng) : -1,
        postal: atoms.id(pad(prefix + (seat ? 0 : rng.below(1000)), 5)),
        localidad: atoms.id(rng.chance(0.9) ? '0001' : pad(2 + rng.below(150), 4)),
      });
    }

    const nStreets = Math.min(60, Math.max(plan.rural ? 3 : 6, Math.round(plan.rows / 35)));
    let block = 1;
    for (let i = 0; i < nStreets; i++) {
      const isCrossing = rng.chance(crossing);
      const numbered = isCrossing || rng.chance(0.12);
      const number = numbered ? 1 + rng.below(isCrossing ? 120 : 40) : 0;
      const name = numbered ? atoms.id(String(number) + (rng.chance(0.03) ? ' A' : '')) : pick(stock.streetName, rng);
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

  // The current row's choices (atoms and numbers), drawn by draw() and written by the write methods.
  private st!: Street;
  private se!: Settlement;
  private conocido = false;
  private streetType = 0;
  private cardinal = -1;
  private crossA = 0;
  private crossB = 0;
  private ext = Exterior.None;
  private extWord = 0;
  private extWord2 = 0;
  private extN = 0;
  private extN2 = 0;
  private extSuffix = -1;
  private int = Interior.None;
  private intWord = 0;
  private intWord2 = 0;
  private intLetter = 0;
  private intN = 0;
  private settlementType = -1;
  private settlementCardinal = -1;
  private manzana = -1;

  /** Draws one row's address. */
  draw(rng: Rng): void {
    const { cardinals, settlementTypes, streetTypes } = this.stock;
    const st = (this.st = this.streets[rng.below(this.streets.length)]);
    const se = (this.se = this.settlements[st.settlement]);
    this.settlementType = (se.bare > 0 && rng.chance(se.bare)) || se.type === NO_TYPE ? -1 : settlementTypes.before[se.type].pick(rng);
    this.settlementCardinal = se.cardinal >= 0 ? cardinals.after[se.cardinal].pick(rng) : -1;
    this.conocido = this.rural && rng.chance(DOMICILIO_CONOCIDO);
    if (this.conocido) {
      this.ext = rng.chance(0.6) ? Exterior.Word : Exterior.None;
      if (this.ext === Exterior.Word) this.extWord = this.stock.sinNumero.pick(rng);
      this.int = Interior.None;
      this.manzana = -1;
      return;
    }
    this.manzana = st.block + rng.below(3);
    this.streetType = streetTypes.before[st.type].pick(rng);
    this.cardinal = -1;
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
    const stock = this.stock;
    if (this.blockAndLot && rng.chance(0.7)) {
      this.ext = Exterior.BlockAndLot;
      this.extWord = stock.manzana.pick(rng);
      this.extN = st.block + rng.below(3);
      this.extWord2 = stock.lote.pick(rng);
      this.extN2 = 1 + rng.below(40);
      return;
    }
    if (rng.chance(0.06)) {
      this.ext = Exterior.Word;
      this.extWord = stock.sinNumero.pick(rng);
      return;
    }
    this.ext = Exterior.Number;
    const u = rng.float();
    this.extN = st.crossing ? 100 + rng.below(900) : u < 0.55 ? 1 + rng.below(199) : u < 0.85 ? 200 + rng.below(800) : 1000 + rng.below(2000);
    const v = rng.float();
    this.extSuffix = v < 0.03 ? stock.spacedLetter[rng.below(4)] : v < 0.06 ? stock.dashedLetter[rng.below(4)] : -1;
  }

  private drawInterior(rng: Rng): void {
    if (!rng.chance(0.16)) {
      this.int = Interior.None;
      return;
    }
    const stock = this.stock;
    const u = rng.float();
    if (u < 0.35) {
      this.int = Interior.Number;
      this.intN = 1 + rng.below(30);
    } else if (u < 0.6) {
      this.int = Interior.Letter;
      this.intLetter = stock.letter[rng.below(LETTERS.length)];
    } else if (u < 0.75) {
      this.int = Interior.Flat;
      this.intWord = stock.depto.pick(rng);
      this.intN = (1 + rng.below(4)) * 100 + 1 + rng.below(8);
    } else if (u < 0.8) {
      this.int = Interior.BuildingFlat;
      this.intWord = stock.edificio.pick(rng);
      this.intLetter = stock.letter[rng.below(LETTERS.length)];
      this.intWord2 = stock.depto.pick(rng);
      this.intN = 1 + rng.below(30);
    } else if (u < 0.95) {
      this.int = Interior.House;
      this.intN = 1 + rng.below(40);
    } else {
      this.int = Interior.Shop;
      this.intN = 1 + rng.below(20);
    }
  }

  /** CALLE, NUM_EXT, NUM_INT, COLONIA and CODPOSTAL, each closed with next(). */
  writeStreet(w: RowWriter): void {
    const stock = this.stock;
    if (this.conocido) {
      w.atom(stock.conocido);
    } else {
      w.atom(this.streetType);
      w.atom(this.st.name);
      if (this.st.crossing) {
        w.atom(stock.cross);
        w.int(this.crossA);
        w.atom(stock.and);
        w.int(this.crossB);
      } else if (this.cardinal >= 0) {
        w.atom(this.cardinal);
      }
    }
    w.next();
    switch (this.ext) {
      case Exterior.Word:
        w.atom(this.extWord);
        break;
      case Exterior.Number:
        w.int(this.extN);
        if (this.extSuffix >= 0) w.atom(this.extSuffix);
        break;
      case Exterior.BlockAndLot:
        w.atom(this.extWord);
        w.int(this.extN);
        w.atom(this.extWord2);
        w.int(this.extN2);
        break;
      default:
    }
    w.next();
    this.writeInterior(w);
    w.next();
    if (this.settlementType >= 0) w.atom(this.settlementType);
    w.atom(this.se.name);
    if (this.settlementCardinal >= 0) w.atom(this.settlementCardinal);
    w.next();
    w.atom(this.se.postal);
    w.next();
  }

  private writeInterior(w: RowWriter): void {
    switch (this.int) {
      case Interior.Number:
        w.int(this.intN);
        break;
      case Interior.Letter:
        w.atom(this.intLetter);
        break;
      case Interior.Flat:
        w.atom(this.intWord);
        w.int(this.intN);
        break;
      case Interior.BuildingFlat:
        w.atom(this.intWord);
        w.atom(this.intLetter);
        w.atom(this.stock.space);
        w.atom(this.intWord2);
        w.int(this.intN);
        break;
      case Interior.House:
        w.atom(this.stock.house);
        w.int(this.intN);
        break;
      case Interior.Shop:
        w.atom(this.stock.shop);
        w.int(this.intN);
        break;
      default:
    }
  }

  /** LOCALIDAD and MANZANA, each closed with next(). */
  writeLocality(w: RowWriter): void {
    w.atom(this.se.localidad);
    w.next();
    if (this.manzana >= 0) w.int(this.manzana);
    w.next();
  }
}
