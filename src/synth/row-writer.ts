/**
 * Vocabulary strings interned once, their UTF-8 bytes side by side in one arena. Writing a row
 * is then mostly copying bytes by id, which is what keeps CSV encoding at a fraction of a
 * microsecond a row (reading the characters of scattered strings costs several times more).
 */
export class Atoms {
  readonly strings: string[] = [];
  bytes: Uint8Array = new Uint8Array(1 << 16);
  /** Atom i's bytes are bytes[offsets[i] .. offsets[i + 1]). */
  offsets: Int32Array = new Int32Array(1024);
  /** 1 where the text holds a comma, quote or line break: such an atom is written as text. */
  special: Uint8Array = new Uint8Array(1024);
  private readonly ids = new Map<string, number>();

  id(s: string): number {
    const known = this.ids.get(s);
    if (known !== undefined) return known;
    const id = this.strings.length;
    const encoded = Buffer.from(s, 'utf8');
    if (id + 2 > this.offsets.length) {
      this.offsets = grown(this.offsets, 2 * this.offsets.length);
      this.special = grown(this.special, this.offsets.length);
    }
    const start = this.offsets[id];
    if (start + encoded.length > this.bytes.length) this.bytes = grown(this.bytes, 2 * (start + encoded.length));
    this.bytes.set(encoded, start);
    this.offsets[id + 1] = start + encoded.length;
    this.special[id] = /[",\r\n]/.test(s) ? 1 : 0;
    this.strings.push(s);
    this.ids.set(s, id);
    return id;
  }
}

function grown<T extends Uint8Array | Int32Array>(a: T, size: number): T {
  const b = new (a.constructor as new (n: number) => T)(size);
  b.set(a as ArrayLike<number>);
  return b;
}

/**
 * Where a generated row goes, piece by piece, in column order: `atom`, `text` and `int` append
 * to the current field, `next` ends it, `end` ends the row. The same calls feed the CSV bytes of
 * writeSyntheticRegistry and the string rows of synthesizeRegistry, so both see the same values.
 */
export interface RowWriter {
  /** An interned string (see Atoms). */
  atom(id: number): void;
  /** ASCII letters and digits from `src[from..to)` (never a comma, quote or line break). */
  ascii(src: Uint8Array, from: number, to: number): void;
  text(s: string): void;
  /** A non-negative integer in decimal, zero-padded to `width` digits. */
  int(n: number, width?: number): void;
  /** Several whole fields at once, each closed; the same array may come again. */
  fields(values: readonly string[]): void;
  next(): void;
  end(): void;
}

/** Rows as arrays of field strings. */
export class StringRows implements RowWriter {
  private row: string[] = [];
  private cur = '';
  constructor(private readonly atoms: Atoms, private readonly sink: (fields: string[]) => void) {}
  atom(id: number): void {
    this.cur += this.atoms.strings[id];
  }
  ascii(src: Uint8Array, from: number, to: number): void {
    this.cur += String.fromCharCode(...src.subarray(from, to));
  }
  text(s: string): void {
    this.cur += s;
  }
  int(n: number, width = 0): void {
    this.cur += width > 0 ? String(n).padStart(width, '0') : String(n);
  }
  fields(values: readonly string[]): void {
    for (const v of values) {
      this.cur += v;
      this.next();
    }
  }
  next(): void {
    this.row.push(this.cur);
    this.cur = '';
  }
  end(): void {
    this.next();
    this.sink(this.row);
    this.row = [];
  }
}

/**
 * RFC 4180 CSV encoded straight into a large Buffer as UTF-8: no joins, no intermediate
 * strings, one big write per chunk. A field is quoted only when it holds a comma, a quote or a
 * line break (quotes doubled); lines end in LF.
 */
export class CsvBytes implements RowWriter {
  private buf: Buffer;
  private pos = 0;
  private fieldStart = 0;
  private quoted = false;
  /** The last `fields` values and their encoding, reused while the same array comes back. */
  private segmentOf: readonly string[] | null = null;
  private segment: Buffer = Buffer.alloc(0);

  constructor(private readonly capacity: number, private readonly atoms: Atoms) {
    this.buf = Buffer.allocUnsafe(capacity);
  }

  get length(): number {
    return this.pos;
  }

  /** Hands over the bytes written so far (whole rows) and starts a fresh buffer. */
  take(): Buffer {
    const out = this.buf.subarray(0, this.pos);
    this.buf = Buffer.allocUnsafe(this.capacity);
    this.pos = 0;
    this.fieldStart = 0;
    return out;
  }

  row(fields: readonly string[]): void {
    fields.forEach((f, i) => {
      this.text(f);
      if (i < fields.length - 1) this.next();
    });
    this.end();
  }

  atom(id: number): void {
    const atoms = this.atoms;
    if (atoms.special[id] === 1) {
      this.text(atoms.strings[id]);
      return;
    }
    const from = atoms.offsets[id];
    const to = atoms.offsets[id + 1];
    if (this.pos + (to - from) + SLACK > this.buf.length) this.grow(to - from + SLACK);
    const src = atoms.bytes;
    const buf = this.buf;
    let pos = this.pos;
    for (let k = from; k < to; k++) buf[pos++] = src[k];
    this.pos = pos;
  }

  ascii(src: Uint8Array, from: number, to: number): void {
    if (this.pos + (to - from) + SLACK > this.buf.length) this.grow(to - from + SLACK);
    const buf = this.buf;
    let pos = this.pos;
    for (let k = from; k < to; k++) buf[pos++] = src[k];
    this.pos = pos;
  }

  text(s: string): void {
    // Worst case 3 bytes a character, each possibly doubled; SLACK covers the separators that
    // follow before the next check.
    if (this.pos + 6 * s.length + SLACK > this.buf.length) this.grow(6 * s.length + SLACK);
    const buf = this.buf;
    let pos = this.pos;
    for (let j = 0; j < s.length; j++) {
      const c = s.charCodeAt(j);
      if (c < 0x80) {
        if (c <= 44 && (c === 44 || c === 34 || c === 10 || c === 13)) {
          if (!this.quoted) {
            this.pos = pos;
            this.openQuote();
            pos = this.pos;
          }
          if (c === 34) buf[pos++] = 34;
        }
        buf[pos++] = c;
      } else if (c < 0x800) {
        buf[pos++] = 0xc0 | (c >> 6);
        buf[pos++] = 0x80 | (c & 0x3f);
      } else if (c >= 0xd800 && c <= 0xdfff) {
        // Astral characters (never in the registry's vocabulary): let Node encode the pair.
        pos += buf.write(s.slice(j, j + 2), pos, 'utf8');
        j++;
      } else {
        buf[pos++] = 0xe0 | (c >> 12);
        buf[pos++] = 0x80 | ((c >> 6) & 0x3f);
        buf[pos++] = 0x80 | (c & 0x3f);
      }
    }
    this.pos = pos;
  }

  int(n: number, width = 0): void {
    if (this.pos + 32 + width + SLACK > this.buf.length) this.grow(32 + width + SLACK);
    const buf = this.buf;
    const len = n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : decimalLength(n);
    let p = this.pos;
    for (let z = len; z < width; z++) buf[p++] = 48;
    const end = p + len;
    // Two digits a step from a table of 00..99.
    let q = end;
    let t = n;
    while (t >= 100) {
      const d = t < 2147483648 ? (t / 100) | 0 : Math.floor(t / 100);
      const r = (t - d * 100) * 2;
      buf[--q] = DIGIT_PAIRS[r + 1];
      buf[--q] = DIGIT_PAIRS[r];
      t = d;
    }
    if (t >= 10) {
      buf[--q] = DIGIT_PAIRS[t * 2 + 1];
      buf[--q] = DIGIT_PAIRS[t * 2];
    } else {
      buf[--q] = 48 + t;
    }
    this.pos = end;
  }

  fields(values: readonly string[]): void {
    if (values !== this.segmentOf) {
      const start = this.pos;
      for (const v of values) {
        this.text(v);
        this.next();
      }
      this.segment = Buffer.from(this.buf.subarray(start, this.pos));
      this.segmentOf = values;
      return;
    }
    if (this.pos + this.segment.length + SLACK > this.buf.length) this.grow(this.segment.length + SLACK);
    this.segment.copy(this.buf, this.pos);
    this.pos += this.segment.length;
    this.fieldStart = this.pos;
  }

  next(): void {
    if (this.quoted) this.closeQuote();
    const p = this.pos;
    this.buf[p] = 44;
    this.pos = this.fieldStart = p + 1;
  }

  end(): void {
    if (this.quoted) this.closeQuote();
    if (this.pos + SLACK > this.buf.length) this.grow(SLACK);
    const p = this.pos;
    this.buf[p] = 10;
    this.pos = this.fieldStart = p + 1;
  }

  private closeQuote(): void {
    this.buf[this.pos++] = 34;
    this.quoted = false;
  }

  /** A special character turned up: quote the field from its start. */
  private openQuote(): void {
    this.buf.copy(this.buf, this.fieldStart + 1, this.fieldStart, this.pos);
    this.buf[this.fieldStart] = 34;
    this.pos++;
    this.quoted = true;
  }

  private grow(extra: number): void {
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + extra + 1024));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
}

const DIGIT_PAIRS = Uint8Array.from({ length: 200 }, (_, i) => 48 + (i % 2 === 0 ? Math.floor(i / 20) : (i >> 1) % 10));

function decimalLength(n: number): number {
  let len = 1;
  for (let p = 10; n >= p && len < 16; p *= 10) len++;
  return len;
}

/** Room kept free after every check for the separators written without one (a row has 27). */
const SLACK = 64;
