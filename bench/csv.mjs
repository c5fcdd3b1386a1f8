#!/usr/bin/env node
/**
 * CSV I/O throughput on a generated mx-ine-like registry (27 fields, some quoted).
 *
 *   node bench/csv.mjs [--rows 1000000] [--file PATH] [--keep]
 *
 * Measures, on the same file (warm page cache, best of --repeat runs):
 *   wc -l                         the read floor, outside Node
 *   fs read                       Node reading the file in 1 MiB chunks, nothing else
 *   csv-parse                     the csv-parse stream, one string array per record
 *   readCsv                       rollmark's general path (csv-parse + line numbers + UTF-8 check)
 *   scanner                       rollmark's byte scanner, field spans only
 *   scanner + 1 field             the scanner plus one fieldString per row (trace's pattern)
 *   scanner + copy + sha256       every record written through a BufferedWriter (issue's pattern)
 * and SHA-256 alone, node:crypto against @noble/hashes, which chose the writer's hash.
 *
 * The library is ../dist/index.js (npm run build); ROLLMARK_LIB=path overrides it.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'csv-parse';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? dflt : args[i + 1];
};
const ROWS = Number(opt('rows', 1_000_000));
const REPEAT = Number(opt('repeat', 3));
const keep = args.includes('--keep');
const libPath = process.env.ROLLMARK_LIB ?? new URL('../dist/index.js', import.meta.url).href;
const lib = await import(libPath.startsWith('file:') ? libPath : pathToFileURL(path.resolve(libPath)).href);
const { CsvScanner, fieldString, readCsvFile, BufferedWriter } = lib;

const outDir = path.join(tmpdir(), 'rollmark-bench');
mkdirSync(outDir, { recursive: true });
const file = opt('file', path.join(outDir, `registry-${ROWS}.csv`));

// ---- data ----

function generate(target, rows) {
  let seed = 0x9e3779b9;
  const rnd = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 4294967296;
  };
  const pick = (a) => a[Math.floor(rnd() * a.length)];
  const digits = (n) => {
    let s = '';
    for (let i = 0; i < n; i++) s += Math.floor(rnd() * 10);
    return s;
  };
  const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  const up = (n) => {
    let s = '';
    for (let i = 0; i < n; i++) s += letters[Math.floor(rnd() * 26)];
    return s;
  };
  const surnames = ['HERNANDEZ', 'GARCIA', 'MARTINEZ', 'LOPEZ', 'GONZALEZ', 'PEREZ', 'RODRIGUEZ', 'SANCHEZ', 'RAMIREZ', 'CRUZ', 'NUÑEZ', 'FLORES', 'GOMEZ', 'MUÑOZ', 'DIAZ', 'REYES', 'MORALES', 'JIMENEZ', 'IBAÑEZ', 'CASTAÑEDA'];
  const names = ['MARIA GUADALUPE', 'JUAN', 'JOSE LUIS', 'MARIA', 'FRANCISCO', 'ROSA MARIA', 'JESUS', 'ANTONIO', 'VERONICA', 'MIGUEL ANGEL', 'PATRICIA', 'ALEJANDRO', 'ANA', 'PEÑA ISABEL'];
  const streets = ['AV INDEPENDENCIA', 'CALLE HIDALGO', 'PRIV MORELOS', 'AVENIDA JUAREZ', 'CALLE 5 DE MAYO', 'CALZ DE TLALPAN', 'AND. LOS PINOS', 'CDA. ZARAGOZA'];
  const colonias = ['CENTRO', 'COL DEL VALLE', 'FRACC LAS AMERICAS', 'SAN JOSE', 'EL ROSARIO', 'LOMAS DE CHAPULTEPEC', 'SANTA MARIA LA RIBERA'];
  const jobs = ['EMPLEADO', 'HOGAR', 'ESTUDIANTE', 'COMERCIANTE', 'JUBILADO', 'OBRERO', 'PROFESIONISTA'];
  const muns = ['AGUASCALIENTES', 'TIJUANA', 'MEXICALI', 'GUADALAJARA', 'ZAPOPAN', 'MONTERREY', 'PUEBLA', 'IZTAPALAPA'];
  const header = 'CONSECUTIVO,ELECTOR,FOL_NAC,OCR,APE_PAT,APE_MAT,NOMBRE,FNAC,EDAD,SEXO,CURP,OCUPACION,CALLE,NUM_EXT,NUM_INT,COLONIA,CODPOSTAL,TIEMPRES,ENTIDAD,DISTRITO,MUNICIPIO,NOM_MUN,SECCION,LOCALIDAD,MANZANA,EMISIONCRE,CONS_LC';
  const fd = createWriteStream(target);
  const parts = [header + '\n'];
  let size = 0;
  const flush = () => {
    const s = parts.join('');
    parts.length = 0;
    size += Buffer.byteLength(s);
    return s;
  };
  return new Promise((resolve, reject) => {
    fd.on('error', reject);
    let i = 0;
    const step = () => {
      while (i < rows) {
        const y = 1940 + Math.floor(rnd() * 65);
        const m = String(1 + Math.floor(rnd() * 12)).padStart(2, '0');
        const d = String(1 + Math.floor(rnd() * 28)).padStart(2, '0');
        const sex = rnd() < 0.52 ? 'M' : 'H';
        const ent = String(1 + Math.floor(rnd() * 32)).padStart(2, '0');
        const p = pick(surnames), q = pick(surnames), n = pick(names);
        // about 3% of streets carry a comma (quoted), 0.5% a quote (quoted and doubled)
        const r = rnd();
        const street = r < 0.03 ? `"${pick(streets)}, ${up(3)} ${digits(2)}"` : r < 0.035 ? `"${pick(streets)} ""${up(4)}"""` : pick(streets);
        parts.push(
          `${i + 1},${up(6)}${String(y).slice(2)}${m}${d}${ent}${sex}${digits(3)},${digits(12)},${digits(13)},${p},${q},${n},${y}${m}${d},${2025 - y},${sex},` +
            `${up(4)}${String(y).slice(2)}${m}${d}${sex}${up(5)}${digits(2)},${pick(jobs)},${street},${digits(3)},${rnd() < 0.8 ? '' : digits(1)},${pick(colonias)},${digits(5)},${Math.floor(rnd() * 40)},` +
            `${ent},${1 + Math.floor(rnd() * 20)},${1 + Math.floor(rnd() * 120)},${pick(muns)},${1 + Math.floor(rnd() * 5000)},${1 + Math.floor(rnd() * 300)},${Math.floor(rnd() * 200)},${2010 + Math.floor(rnd() * 15)},${digits(2)}\n`,
        );
        i++;
        if (parts.length >= 20000) {
          if (!fd.write(flush())) return fd.once('drain', step);
        }
      }
      fd.end(flush(), () => resolve(size));
    };
    step();
  });
}

// ---- measures ----

const bytes = () => statSync(file).size;

async function timeit(name, fn, repeat = REPEAT) {
  let best = Infinity;
  let rows = 0;
  for (let k = 0; k < repeat; k++) {
    const t0 = process.hrtime.bigint();
    rows = await fn();
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    best = Math.min(best, s);
  }
  const mb = bytes() / 1e6;
  const line = `${name.padEnd(28)} ${best.toFixed(3).padStart(8)} s ${(rows / best / 1e6).toFixed(2).padStart(8)} M rows/s ${(mb / best).toFixed(0).padStart(6)} MB/s`;
  console.log(line);
  return best;
}

const chunks = () => createReadStream(file, { highWaterMark: 1 << 20 });

async function main() {
  if (!existsSync(file)) {
    process.stderr.write(`generating ${ROWS} rows into ${file} ...\n`);
    await generate(file, ROWS);
  }
  const rowsInFile = ROWS + 1;
  console.log(`file: ${file}  ${(bytes() / 1e6).toFixed(1)} MB, ${rowsInFile} records (27 fields)`);
  console.log(`node ${process.version}, ${process.arch}; best of ${REPEAT}`);
  console.log('');

  await timeit('wc -l', () => {
    const out = execFileSync('wc', ['-l', file], { encoding: 'utf8' });
    return Number(out.trim().split(/\s+/)[0]);
  });

  await timeit('fs read (1 MiB chunks)', async () => {
    let n = 0;
    for await (const c of chunks()) n += c.length;
    return rowsInFile;
  });

  await timeit('csv-parse (stream)', async () => {
    let n = 0;
    const p = chunks().pipe(parse({ relax_column_count: true }));
    for await (const rec of p) n += rec.length > 0 ? 1 : 0;
    return n;
  }, 1);

  await timeit('readCsv (general path)', async () => {
    let n = 0;
    for await (const _ of readCsvFile(file)) n++;
    return n;
  }, 1);

  await timeit('scanner', async () => {
    let n = 0;
    let fields = 0;
    const s = new CsvScanner({ file });
    const on = (r) => {
      n++;
      fields += r.fieldCount;
    };
    for await (const c of chunks()) s.push(c, on);
    s.end(on);
    if (fields !== n * 27) throw new Error(`field count ${fields} for ${n} rows`);
    return n;
  });

  await timeit('scanner + 1 field string', async () => {
    let n = 0;
    let len = 0;
    const s = new CsvScanner({ file });
    const on = (r) => {
      n++;
      len += fieldString(r, 1).length;
    };
    for await (const c of chunks()) s.push(c, on);
    s.end(on);
    return n;
  });

  const copy = path.join(outDir, 'copy.csv');
  await timeit('scanner + copy + sha256', async () => {
    let n = 0;
    const w = new BufferedWriter(createWriteStream(copy), { file: copy });
    const s = new CsvScanner({ file });
    const on = (r) => {
      n++;
      w.writeBytes(r.buf, r.start, r.next);
    };
    for await (const c of chunks()) {
      s.push(c, on);
      await w.drain();
    }
    s.end(on);
    await w.end();
    return n;
  });
  unlinkSync(copy);

  // hash choice for BufferedWriter
  console.log('');
  const blob = Buffer.alloc(256 << 20, 0x61);
  let t0 = process.hrtime.bigint();
  const h = createHash('sha256');
  for (let i = 0; i < blob.length; i += 1 << 20) h.update(blob.subarray(i, i + (1 << 20)));
  h.digest();
  const nodeS = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(`sha256 node:crypto          ${(blob.length / 1e6 / nodeS).toFixed(0).padStart(6)} MB/s`);
  try {
    const { sha256 } = await import('@noble/hashes/sha2.js');
    t0 = process.hrtime.bigint();
    const nh = sha256.create();
    const part = blob.subarray(0, 64 << 20);
    for (let i = 0; i < part.length; i += 1 << 20) nh.update(part.subarray(i, i + (1 << 20)));
    nh.digest();
    const nobleS = Number(process.hrtime.bigint() - t0) / 1e9;
    console.log(`sha256 @noble/hashes        ${(part.length / 1e6 / nobleS).toFixed(0).padStart(6)} MB/s`);
  } catch (err) {
    console.log(`sha256 @noble/hashes        (not measured: ${err.message})`);
  }

  if (!keep && !args.includes('--file')) unlinkSync(file);
}

await main();
