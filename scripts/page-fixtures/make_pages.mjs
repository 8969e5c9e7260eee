// make_pages.mjs writes testdata/pages/: Parquet files as DuckDB and polars write them, for the
// page reader's tests (io/parquetio TestPageReaderRealWriters): DuckDB with PARQUET_VERSION V1
// (its default: PLAIN and PLAIN_DICTIONARY) and V2 (RLE_DICTIONARY, BYTE_STREAM_SPLIT), every
// codec it writes, two row groups; polars with every codec. DuckDB 1.5.6 writes one data page
// per column chunk here (and for a 65,536 x 384 FLOAT[384] chunk: one page of 103 MB), so
// chunks of several pages come from the Go tests' own parquet-go files.
// The columns cover the value layouts: a nullable FLOAT scalar, a low-cardinality nullable
// DOUBLE scalar, FLOAT[4] vectors, DOUBLE[] series with null elements and empty lists, and
// FLOAT[][] sequences of 3-vectors. Values are seeded pseudo-random, so files are reproducible.
//
// Usage: cd scripts/page-fixtures && npm ci && node make_pages.mjs [--out DIR]
import { DuckDBInstance } from '@duckdb/node-api';
import pl from 'nodejs-polars';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const i = args.indexOf('--out');
const OUT = path.resolve(i >= 0 ? args[i + 1] : path.join(here, '..', '..', 'testdata', 'pages'));
fs.mkdirSync(OUT, { recursive: true });

const ROWS = 1500;

const db = await (await DuckDBInstance.create(':memory:')).connect();
// h(i, j): a deterministic pseudo-random float in [-1, 1) from SQL.
const h = (a, b) => `(((sin((${a}) * 12.9898 + (${b}) * 78.233) * 43758.5453) % 1))`;
await db.run(`CREATE TABLE t AS SELECT
  i AS id,
  CASE WHEN i % 13 = 5 THEN NULL ELSE ${h('i', 0)}::FLOAT END AS s32,
  CASE WHEN i % 11 = 3 THEN NULL ELSE ((i * 7) % 5)::DOUBLE / 4 END AS d64,
  list_transform(range(4), j -> ${h('i', 'j')}::FLOAT)::FLOAT[4] AS v32,
  list_transform(range(i % 6), j -> CASE WHEN (i + j) % 9 = 4 THEN NULL ELSE ${h('i', 'j + 10')}::DOUBLE END) AS ser,
  list_transform(range(i % 4), k -> list_transform(range(3), j -> ${h('i * 3 + k', 'j')}::FLOAT)) AS lol
FROM range(${ROWS}) r(i)`);

const files = [];
for (const codec of ['uncompressed', 'snappy', 'gzip', 'zstd', 'lz4', 'brotli']) {
  for (const version of ['V1', 'V2']) {
    const name = `duckdb_${codec}_${version.toLowerCase()}.parquet`;
    await db.run(`COPY t TO '${path.join(OUT, name)}' (FORMAT parquet, COMPRESSION ${codec},
      PARQUET_VERSION ${version}, ROW_GROUP_SIZE 1024)`);
    files.push({ file: name, writer: 'duckdb', codec, version });
  }
}

// polars: the same rows but the list<list> column (nodejs-polars does not build one from JS arrays),
// read back from DuckDB.
const r = await db.runAndReadAll('SELECT * FROM t ORDER BY id');
const rows = r.getRowObjectsJS();
const num = (x) => (x === null ? null : Number(x));
const df = pl.DataFrame({
  id: pl.Series('id', rows.map((x) => Number(x.id)), pl.Int64),
  s32: pl.Series('s32', rows.map((x) => num(x.s32)), pl.Float32),
  d64: pl.Series('d64', rows.map((x) => num(x.d64)), pl.Float64),
  v32: pl.Series('v32', rows.map((x) => (x.v32.items ?? x.v32).map(Number)), pl.List(pl.Float32)),
  ser: pl.Series('ser', rows.map((x) => (x.ser.items ?? x.ser).map(num)), pl.List(pl.Float64)),
});
for (const codec of ['uncompressed', 'snappy', 'gzip', 'zstd', 'lz4', 'brotli']) {
  const name = `polars_${codec}.parquet`;
  df.writeParquet(path.join(OUT, name), { compression: codec, rowGroupSize: 1024 });
  files.push({ file: name, writer: 'polars', codec });
}
fs.writeFileSync(path.join(OUT, 'manifest.json'), JSON.stringify({
  generator: 'scripts/page-fixtures/make_pages.mjs', rows: ROWS, files,
}, null, 2) + '\n');
for (const f of files) {
  console.log(f.file, fs.statSync(path.join(OUT, f.file)).size);
}
