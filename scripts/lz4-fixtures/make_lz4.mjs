// make_lz4.mjs writes testdata/lz4/: Parquet files whose pages are LZ4_RAW, as DuckDB
// (COMPRESSION lz4) and polars (writeParquet {compression: 'lz4'}) write them, and for each
// a <name>.json of what DuckDB reads back from the file: row count, d, and an FNV-1a 64 hash
// of the vectors' float32 bytes (little-endian, in file row order) plus the first values.
// The values are pseudo-random, so pages barely compress: the case parquet-go v0.32.0's
// LZ4_RAW decoder gets wrong (parquet-go/parquet-go#608).
//
// Usage: cd scripts/lz4-fixtures && npm ci && node make_lz4.mjs [--out DIR]
import { DuckDBInstance } from '@duckdb/node-api';
import pl from 'nodejs-polars';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const i = args.indexOf('--out');
const OUT = path.resolve(i >= 0 ? args[i + 1] : path.join(here, '..', '..', 'testdata', 'lz4'));
fs.mkdirSync(OUT, { recursive: true });

const ROWS = 6000;
const D = 8;

// mulberry32: small seeded PRNG, deterministic across platforms.
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// fnv1a64 hashes the bytes of a Float32Array (little-endian on every platform Node runs on).
function fnv1a64(f32) {
  const bytes = new Uint8Array(f32.buffer, f32.byteOffset, f32.byteLength);
  let h = 0xcbf29ce484222325n;
  for (const b of bytes) {
    h ^= BigInt(b);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h.toString(16).padStart(16, '0');
}

const db = await (await DuckDBInstance.create(':memory:')).connect();

// expected records what DuckDB reads back from file.
async function expected(name, file) {
  const r = await db.runAndReadAll(
    `SELECT embedding FROM read_parquet('${file}', file_row_number=true) ORDER BY file_row_number`);
  const rows = r.getRowObjectsJS();
  const flat = new Float32Array(rows.length * D);
  rows.forEach((row, k) => {
    const v = row.embedding.items ?? row.embedding;
    if (v.length !== D) throw new Error(`${name}: row ${k} has ${v.length} values`);
    flat.set(v.map(Number), k * D);
  });
  const codecs = await db.runAndReadAll(
    `SELECT DISTINCT compression FROM parquet_metadata('${file}')`);
  const exp = {
    file: path.basename(file), writer: name.split('_')[0], rows: rows.length, d: D,
    codecs: codecs.getRowObjectsJS().map((c) => c.compression).sort(),
    fnv1a64: fnv1a64(flat), first: Array.from(flat.subarray(0, 4)),
  };
  fs.writeFileSync(path.join(OUT, `${name}.json`), JSON.stringify(exp, null, 2) + '\n');
  console.log(name, exp.rows, exp.codecs.join(','), exp.fnv1a64);
}

// DuckDB: fixed-size FLOAT[8] vectors, three sequences, an order column.
const duck = path.join(OUT, 'duckdb_lz4.parquet');
await db.run(`COPY (
  SELECT (i // 2000)::BIGINT AS id, i AS pos,
         list_transform(range(${D}), j -> ((sin(i * 12.9898 + j * 78.233) * 43758.5453) % 1)::FLOAT)::FLOAT[${D}] AS embedding
  FROM range(${ROWS}) t(i)
) TO '${duck}' (FORMAT parquet, COMPRESSION lz4)`);
await expected('duckdb_lz4', duck);

// polars: list<float32> vectors, string ids.
const rnd = prng(15);
const ids = [], pos = [], emb = [];
for (let r = 0; r < ROWS; r++) {
  ids.push(`s${Math.floor(r / 1500)}`);
  pos.push(r);
  emb.push(Array.from({ length: D }, () => Math.fround(rnd() * 2 - 1)));
}
const df = pl.DataFrame({
  id: ids,
  pos: pl.Series('pos', pos, pl.Int64),
  embedding: pl.Series('embedding', emb, pl.List(pl.Float32)),
});
const polarsFile = path.join(OUT, 'polars_lz4.parquet');
df.writeParquet(polarsFile, { compression: 'lz4' });
await expected('polars_lz4', polarsFile);
