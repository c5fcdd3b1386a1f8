import { RollmarkError } from '../errors.js';
import { readCsvFile } from '../csv/read.js';

export interface Recipient {
  id: string;
  name: string;
}

const RECIPIENT_ID = /^[A-Za-z0-9_-]{1,32}$/;

/** Reads a recipients file: CSV with header `id,name`; ids unique and `[A-Za-z0-9_-]{1,32}`. */
export async function readRecipients(file: string): Promise<Recipient[]> {
  const out: Recipient[] = [];
  const seen = new Set<string>();
  let header: string[] | null = null;
  for await (const { fields, line } of readCsvFile(file, { file, relaxColumnCount: true })) {
    if (header === null) {
      header = fields.map((f) => f.trim().toLowerCase());
      if (header.length !== 2 || header[0] !== 'id' || header[1] !== 'name') {
        throw new RollmarkError('RECIPIENTS_INVALID', `the header must be 'id,name', got '${fields.join(',')}'`, { file, line });
      }
      continue;
    }
    if (fields.length === 1 && fields[0] === '') continue;
    if (fields.length !== 2) throw new RollmarkError('RECIPIENTS_INVALID', `expected 2 fields (id,name), got ${fields.length}`, { file, line });
    const [id, name] = fields.map((f) => f.trim());
    if (!RECIPIENT_ID.test(id)) {
      throw new RollmarkError('RECIPIENTS_INVALID', `recipient id '${id}' must match [A-Za-z0-9_-]{1,32}`, { file, line, column: 1 });
    }
    if (seen.has(id)) throw new RollmarkError('RECIPIENTS_INVALID', `recipient id '${id}' is listed twice`, { file, line, column: 1 });
    seen.add(id);
    out.push({ id, name });
  }
  if (out.length === 0) throw new RollmarkError('RECIPIENTS_INVALID', 'no recipients listed', { file });
  return out;
}
