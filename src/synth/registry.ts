import { COL, MX_INE_COLUMNS } from '../presets/mx-ine/columns.js';
import { OCCUPATIONS } from '../presets/mx-ine/data/addresses.js';
import { SectionAddresses } from './addresses.js';
import { AliasTable } from './alias.js';
import { planRegistry, type EntidadPlan, type RegistryPlan, type SectionPlan } from './geography.js';
import { PeopleModel, SectionPeople } from './people.js';
import { Rng } from './prng.js';
import { resolveSynthOptions, type ResolvedSynthOptions, type SynthOptions } from './options.js';
import { Permutation } from './unique.js';
import { IdentityIssuer } from './identities.js';
import { CsvBytes } from './csv-bytes.js';

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
/** Decimal text of small numbers, made once: most numeric fields are below 10,000. */
const NUM = Array.from({ length: 10000 }, (_, i) => String(i));
const num = (n: number) => (n < 10000 ? NUM[n] : String(n));

type RowSink = (fields: string[]) => void;

class RegistryCore {
  readonly plan: RegistryPlan;
  private readonly people: PeopleModel;
  private readonly section = new SectionPeople();
  private readonly peopleRng: Rng;
  private readonly placeRng: Rng;
  private readonly rowRng: Rng;
  private readonly folio: Permutation;
  private readonly ocr: Permutation;
  private readonly identities: IdentityIssuer;
  private readonly occupations: AliasTable[] = [];
  private readonly fields: string[] = new Array<string>(MX_INE_COLUMNS.length).fill('');
  private readonly lastIssueYear: number;
  private ordinal = 0;

  constructor(private readonly opts: ResolvedSynthOptions) {
    this.plan = planRegistry(opts.rows, opts.states, opts.seed);
    this.people = new PeopleModel(opts.asOf);
    this.peopleRng = new Rng(opts.seed, 'people');
    this.placeRng = new Rng(opts.seed, 'addresses');
    this.rowRng = new Rng(opts.seed, 'rows');
    const keys = new Rng(opts.seed, 'numbers');
    this.folio = new Permutation(keys.words(4), 16, 2 ** 32);
    this.ocr = new Permutation(keys.words(4), 15, 1e9);
    this.identities = new IdentityIssuer(this.people, opts.rows);
    for (let sex = 0; sex < 2; sex++) {
      for (let group = 0; group < 3; group++) {
        for (let rural = 0; rural < 2; rural++) {
          this.occupations.push(new AliasTable(OCCUPATIONS.map(([, w, r]) => w[(sex === 1 ? 0 : 3) + group] * (rural ? r : 1))));
        }
      }
    }
    this.lastIssueYear = opts.asOf.month === 1 && opts.asOf.day === 1 ? opts.asOf.year - 1 : opts.asOf.year;
  }

  /** Emits the rows of one section, in order, through `sink` (the array is reused). */
  emitSection(ep: EntidadPlan, sp: SectionPlan, sink: RowSink): void {
    const { people, section, rowRng: rng, fields: f } = this;
    const entidad = Number(ep.entidad.code) - 1;
    people.drawPeople(entidad, sp.rows, this.peopleRng, section);
    const addresses = new SectionAddresses(sp, ep.entidad.code, this.placeRng);
    const seccion = String(sp.number).padStart(this.plan.sectionWidth, '0');
    const ocrPrefix = String(sp.number % 10000).padStart(4, '0');
    f[COL.ENTIDAD] = ep.entidad.code;
    f[COL.DISTRITO] = String(sp.distrito).padStart(2, '0');
    f[COL.MUNICIPIO] = String(sp.municipio.code).padStart(3, '0');
    f[COL.NOM_MUN] = sp.municipio.name;
    f[COL.SECCION] = seccion;
    const rural = sp.rural ? 1 : 0;

    let seq = 0;
    for (let r = 0; r < sp.rows; r++) {
      const i = section.order[r];
      while (rng.chance(GAP)) seq++;
      seq++;
      const day = section.day[i];
      const age = people.ageOfDay[day];
      const year = people.birthYear[day];
      const sex = section.sex[i];
      const pat = section.pat[i];
      const mat = section.mat[i];
      const u1 = section.u1[i];
      const u2 = section.u2[i];
      f[COL.CONSECUTIVO] = num(seq);
      f[COL.APE_PAT] = pat < 0 ? '' : people.surnames[pat];
      f[COL.APE_MAT] = mat < 0 ? '' : people.surnames[mat];
      f[COL.NOMBRE] = people.renderName(u1, u2, rng);
      f[COL.FNAC] = people.fnac[day];
      f[COL.EDAD] = people.ageText[age];
      f[COL.SEXO] = sex ? 'M' : 'H';
      this.identities.issue(pat, mat, u1, u2, day, sex, section.birth[i], rng, f);

      const ordinal = this.ordinal++;
      f[COL.FOL_NAC] = String(this.folio.apply(ordinal)).padStart(10, '0');
      f[COL.OCR] = ocrPrefix + String(this.ocr.apply(ordinal)).padStart(9, '0');
      const group = age < 26 ? 0 : age < 60 ? 1 : 2;
      f[COL.OCUPACION] = OCCUPATIONS[this.occupations[(sex * 3 + group) * 2 + rural].sample(rng)][0];
      addresses.draw(this.placeRng, f);
      f[COL.TIEMPRES] = num(Math.min(age, Math.floor(-Math.log(1 - rng.float()) * (4 + age * 0.25))));
      const first = Math.min(this.lastIssueYear, Math.max(this.lastIssueYear - 9, year + 18));
      f[COL.EMISIONCRE] = num(rng.between(first, this.lastIssueYear));
      let credentials = 1;
      for (let decade = 18; decade + 10 <= age && credentials < 9; decade += 10) if (rng.chance(0.6)) credentials++;
      if (rng.chance(0.15)) credentials++;
      f[COL.CONS_LC] = num(credentials);
      sink(f);
    }
  }
}

/**
 * The registry as rows of 27 strings (no header), lazily: memory stays at one section. Same
 * options, same rows.
 */
export function* synthesizeRegistry(opts: SynthOptions): Generator<string[]> {
  const core = new RegistryCore(resolveSynthOptions(opts));
  const rows: string[][] = [];
  for (const ep of core.plan.entidades) {
    for (const sp of ep.sections) {
      rows.length = 0;
      core.emitSection(ep, sp, (f) => rows.push(f.slice()));
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
  const csv = new CsvBytes(CHUNK_BYTES + (CHUNK_BYTES >> 1));
  csv.row(MX_INE_COLUMNS);
  const add: RowSink = (f) => csv.row(f);
  let rows = 0;
  try {
    for (const ep of core.plan.entidades) {
      for (const sp of ep.sections) {
        core.emitSection(ep, sp, add);
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
