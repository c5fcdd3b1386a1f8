/**
 * RFC 4180 rows encoded straight into a large Buffer as UTF-8: no per-row join, no cons-string
 * flattening, one big write per chunk. A field is quoted only when it holds a comma, a quote or
 * a line break (quotes doubled); lines end in LF.
 */
export class CsvBytes {
  private buf: Buffer;
  private pos = 0;

  constructor(private readonly capacity: number) {
    this.buf = Buffer.allocUnsafe(capacity);
  }

  get length(): number {
    return this.pos;
  }

  row(fields: readonly string[]): void {
    for (let i = 0; i < fields.length; i++) {
      if (i > 0) this.buf[this.pos++] = 44;
      this.field(fields[i]);
    }
    this.buf[this.pos++] = 10;
  }

  /** Hands over the bytes written so far and starts a fresh buffer (the old one is the caller's). */
  take(): Buffer {
    const out = this.buf.subarray(0, this.pos);
    this.buf = Buffer.allocUnsafe(this.capacity);
    this.pos = 0;
    return out;
  }

  private field(s: string): void {
    // Worst case: every character 3 bytes, doubled quotes, two quotes, separator and newline.
    if (this.pos + 6 * s.length + 4 > this.buf.length) this.grow(6 * s.length + 4);
    const start = this.pos;
    const buf = this.buf;
    let pos = this.pos;
    for (let j = 0; j < s.length; j++) {
      const c = s.charCodeAt(j);
      if (c < 0x80) {
        if (c <= 44 && (c === 44 || c === 34 || c === 10 || c === 13)) {
          this.pos = start;
          this.quoted(s);
          return;
        }
        buf[pos++] = c;
      } else if (c < 0x800) {
        buf[pos++] = 0xc0 | (c >> 6);
        buf[pos++] = 0x80 | (c & 0x3f);
      } else if (c >= 0xd800 && c <= 0xdfff) {
        // Astral characters (never in the registry's vocabulary): let Node encode the rest.
        pos += buf.write(s.slice(j), pos, 'utf8');
        break;
      } else {
        buf[pos++] = 0xe0 | (c >> 12);
        buf[pos++] = 0x80 | ((c >> 6) & 0x3f);
        buf[pos++] = 0x80 | (c & 0x3f);
      }
    }
    this.pos = pos;
  }

  private quoted(s: string): void {
    const text = '"' + s.replace(/"/g, '""') + '"';
    if (this.pos + 3 * text.length + 2 > this.buf.length) this.grow(3 * text.length + 2);
    this.pos += this.buf.write(text, this.pos, 'utf8');
  }

  private grow(extra: number): void {
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + extra + 1024));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
}
