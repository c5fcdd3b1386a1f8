import { MX_INE_COLUMNS } from '../presets/mx-ine/columns.js';
import { OCCUPATIONS } from '../presets/mx-ine/data/addresses.js';
import { AddressStock, SectionAddresses } from './addresses.js';
import { AliasTable } from './alias.js';
import { planRegistry, type EntidadPlan, type RegistryPlan, type SectionPlan } from './geography.js';
import { PeopleModel, SectionPeople } from './people.js';
import { Rng } from './prng.js';
import { resolveSynthOptions, type ResolvedSynthOptions, type SynthOptions } from './options.js';
import { Permutation } from './unique.js';
import { IdentityIssuer } from './identities.js';
import { Atoms, CsvBytes, StringRows, type RowWriter } from './row-writer.js';

/**
 * The synthetic mx-ine registry: rows in ENTIDAD, MUNICIPIO, SECCION order, alphabetical inside a
 * section, every value drawn from the seed. Field formats not fixed by the contract:
 *   CONSECUTIVO  number within the section, 1 upwards, about 3% of numbers skipped (records
 *                deleted since the last renumbering; a canary can take one of them)
 *   ELECTOR      see identity.ts; homoclave: a random digit and the homonym number 00, 01, ...
 *   CURP         homoclave 0 (births before 2000) or A, the next ones for homonyms
 *   FOL_NAC      10 digits, a keyed permutation of the row's ordinal: unique
 *   OCR          13 digits: the section (4 digits) and 9 digits permuting the ordinal: unique
 *   DISTRITO 2 digits, MUNICIPIO 3 digits (alphabetical code), SECCION 4+ digits, LOCALIDAD 4
 *   EMISIONCRE   year the credential was issued, within the 10 years it stays valid
 *   CONS_LC      how many credentials the elector has been issued, this one included (1 = first)
 *   TIEMPRES     whole years at the address
 */

const GAP = 0.03;
/** Quantiles of the unit exponential distribution: years at an address are drawn from it by lookup. */
const EXPONENTIAL = Float64Array.from({ length: 1024 }, (_, i) => -Math.log(1 - (i + 0.5) / 1024));

class RegistryCore {
  readonly plan: RegistryPlan;
  /** The vocabulary of this run, shared by the models and the writers. */
  readonly atoms = new Atoms();
  private readonly people: PeopleModel;
  private readonly section = new SectionPeople();
  private readonly peopleRng: Rng;
  private readonly placeRng: Rng;
  private readonly rowRng: Rng;
  private readonly folio: Permutation;
  private readonly ocr: Permutation;
  private readonly identities: IdentityIssuer;
  private readonly addressStock: AddressStock;
  private readonly occupations: AliasTable[] = [];
  private readonly occupationAtom: Int32Array;
  private readonly sexAtom: Int32Array;
  private readonly lastIssueYear: number;
  private ordinal = 0;

  constructor(opts: ResolvedSynthOptions) {
    this.plan = planRegistry(opts.rows, opts.states, opts.seed);
    this.people = new PeopleModel(opts.asOf, this.atoms);
    this.peopleRng = new Rng(opts.seed, 'people');
    this.placeRng = new Rng(opts.seed, 'addresses');
    this.rowRng = new Rng(opts.seed, 'rows');
    const keys = new Rng(opts.seed, 'numbers');
    this.folio = new Permutation(keys.words(4), 16, 2 ** 32);
    this.ocr = new Permutation(keys.words(4), 15, 1e9);
    this.identities = new IdentityIssuer(this.people, opts.rows);
    this.addressStock = new AddressStock(this.atoms);
    this.occupationAtom = Int32Array.from(OCCUPATIONS.map(([o]) => this.atoms.id(o)));
    this.sexAtom = Int32Array.from(['H', 'M'].map((s) => this.atoms.id(s)));
    for (let sex = 0; sex < 2; sex++) {
      for (let group = 0; group < 3; group++) {
        for (let rural = 0; rural < 2; rural++) {
          this.occupations.push(new AliasTable(OCCUPATIONS.map(([, w, r]) => w[(sex === 1 ? 0 : 3) + group] * (rural ? r : 1))));
        }
      }
    }
    this.lastIssueYear = opts.asOf.month === 1 && opts.asOf.day === 1 ? opts.asOf.year - 1 : opts.asOf.year;
  }

  /** Writes the rows of one section, in order. */
  emitSection(ep: EntidadPlan, sp: SectionPlan, w: RowWriter): void {
    const { people, section, rowRng: rng, identities } = this;
    const entidad = Number(ep.entidad.code) - 1;
    people.drawPeople(entidad, sp.rows, this.peopleRng, section);
    identities.locate(section, sp.rows);
    const addresses = new SectionAddresses(sp, ep.entidad.code, this.placeRng, this.addressStock);
    const place = [ep.entidad.code, String(sp.distrito).padStart(2, '0'), String(sp.municipio.code).padStart(3, '0'),
      sp.municipio.name, String(sp.number).padStart(this.plan.sectionWidth, '0')];
    const ocrSection = sp.number % 10000;
    const rural = sp.rural ? 1 : 0;

    let seq = 0;
    for (let r = 0; r < sp.rows; r++) {
      const i = section.order[r];
      while (rng.chance(GAP)) seq++;
      seq++;
      const day = section.day[i];
      const age = people.ageOfDay[day];
      const sex = section.sex[i];
      const pat = section.pat[i];
      const mat = section.mat[i];
      identities.issue(section, i, rng);
      addresses.draw(this.placeRng);
      const ordinal = this.ordinal++;

      w.int(seq);
      w.next();
      identities.writeClave(w);
      w.next();
      w.int(this.folio.apply(ordinal), 10);
      w.next();
      w.int(ocrSection * 1e9 + this.ocr.apply(ordinal), 13);
      w.next();
      if (pat >= 0) w.atom(people.surnameAtom[pat]);
      w.next();
      if (mat >= 0) w.atom(people.surnameAtom[mat]);
      w.next();
      people.writeName(section.u1[i], section.u2[i], rng, w);
      w.next();
      w.atom(people.fnacAtom[day]);
      w.next();
      w.int(age);
      w.next();
      w.atom(this.sexAtom[sex]);
      w.next();
      identities.writeCurp(w);
      w.next();
      const group = age < 26 ? 0 : age < 60 ? 1 : 2;
      w.atom(this.occupationAtom[this.occupations[(sex * 3 + group) * 2 + rural].sample(rng)]);
      w.next();
      addresses.writeStreet(w);
      w.int(Math.min(age, Math.floor(EXPONENTIAL[rng.next() >>> 22] * (4 + age * 0.25))));
      w.next();
      w.fields(place);
      addresses.writeLocality(w);
      const first = Math.min(this.lastIssueYear, Math.max(this.lastIssueYear - 9, people.birthYear[day] + 18));
      w.int(rng.between(first, this.lastIssueYear));
      w.next();
      // One credential per decade of adulthood or so, and now and then a replacement.
      w.int(Math.min(9, 1 + Math.floor(rng.float() * (1.2 + (age - 18) / 9))));
      w.end();
    }
  }
}

/**
 * The registry as rows of 27 strings (no header), lazily: memory stays at one section. Same
 * options, same rows. Bad options throw a USAGE RollmarkError here, not at the first row.
 */
export function synthesizeRegistry(opts: SynthOptions): Generator<string[]> {
  return rowsOf(new RegistryCore(resolveSynthOptions(opts)));
}

function* rowsOf(core: RegistryCore): Generator<string[]> {
  const rows: string[][] = [];
  const writer = new StringRows(core.atoms, (fields) => rows.push(fields));
  for (const ep of core.plan.entidades) {
    for (const sp of ep.sections) {
      rows.length = 0;
      core.emitSection(ep, sp, writer);
      yield* rows;
    }
  }
}

export interface SynthProgress {
  rows: number;
  bytes: number;
  totalRows: number;
}

const CHUNK_BYTES = 1 << 20;

/**
 * Writes the registry as CSV (UTF-8, header, comma, LF, RFC 4180 quoting where a value needs
 * it) to `out` in chunks of about a megabyte, waiting for 'drain' when the stream asks to.
 * Does not end `out`. Same options, same bytes.
 */
export async function writeSyntheticRegistry(
  opts: SynthOptions,
  out: NodeJS.WritableStream,
  onProgress?: (p: SynthProgress) => void,
): Promise<{ rows: number; bytes: number }> {
  const resolved = resolveSynthOptions(opts);
  const core = new RegistryCore(resolved);
  const sink = new BackpressureWriter(out);
  const csv = new CsvBytes(CHUNK_BYTES + (CHUNK_BYTES >> 1), core.atoms);
  csv.row(MX_INE_COLUMNS);
  let rows = 0;
  try {
    for (const ep of core.plan.entidades) {
      for (const sp of ep.sections) {
        core.emitSection(ep, sp, csv);
        rows += sp.rows;
        if (csv.length >= CHUNK_BYTES) {
          await sink.write(csv.take());
          onProgress?.({ rows, bytes: sink.bytes, totalRows: resolved.rows });
        }
      }
    }
    if (csv.length > 0) await sink.write(csv.take());
    onProgress?.({ rows, bytes: sink.bytes, totalRows: resolved.rows });
  } finally {
    sink.release();
  }
  return { rows, bytes: sink.bytes };
}

/** Writes big Buffers, respects backpressure and turns a stream 'error' into a rejection. */
class BackpressureWriter {
  bytes = 0;
  private failure: Error | null = null;
  private readonly onError = (err: Error) => {
    this.failure = err;
  };

  constructor(private readonly out: NodeJS.WritableStream) {
    out.on('error', this.onError);
  }

  async write(buf: Buffer): Promise<void> {
    if (this.failure) throw this.failure;
    this.bytes += buf.length;
    if (!this.out.write(buf)) {
      await new Promise<void>((resolve, reject) => {
        const drained = () => {
          this.out.off('error', failed);
          resolve();
        };
        const failed = (err: Error) => {
          this.out.off('drain', drained);
          reject(err);
        };
        this.out.once('drain', drained);
        this.out.once('error', failed);
      });
    }
    if (this.failure) throw this.failure;
  }

  release(): void {
    this.out.off('error', this.onError);
  }
}
