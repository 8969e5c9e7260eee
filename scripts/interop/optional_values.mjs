// optional_values.mjs writes a long-layout table of SERIES x POINTS rows in one row group, every
// column OPTIONAL (nullable), as the input of the tests that check an optional value column read
// in several segments is fetched once (io/parquetio TestOptionalValueChunkFetchedOnce,
// cmd/contextualize TestObjstoreOptionalValueChunkFetchedOnce):
//
//   node scripts/interop/optional_values.mjs WRITER OUT.parquet [series=100] [points=2000]
//
// WRITER is
//   duckdb       DuckDB's default Parquet writer (1.5.6: snappy, data pages v1, one data page per
//                column chunk), ROW_GROUP_SIZE 10000000 (a user's COPY of a table that fits one);
//   polars       nodejs-polars' writeParquet with its defaults (0.25.2: uncompressed, pages of
//                about 1 MiB, one row group up to 512 Ki rows), the same rows read from DuckDB's;
//   polars-zstd  the same with compression zstd (Python polars' default codec).
// Columns: series_id VARCHAR, position BIGINT, value DOUBLE, NULL at every 97th row (so nulls
// must stay null in the output). Values are closed-form, so the file is the same every run.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { DuckDBInstance } from '@duckdb/node-api';

const require = createRequire(import.meta.url);
const [writer, out, seriesArg = '100', pointsArg = '2000'] = process.argv.slice(2);
if (!out || !['duckdb', 'polars', 'polars-zstd'].includes(writer)) {
  console.error('usage: node optional_values.mjs duckdb|polars|polars-zstd OUT.parquet [series] [points]');
  process.exit(2);
}
const duck = writer === 'duckdb' ? out : `${out}.duckdb.parquet`; // polars reads a path by its extension
const series = Number(seriesArg), points = Number(pointsArg);
const q = (s) => `'${s.replaceAll("'", "''")}'`;
const inst = await DuckDBInstance.create(':memory:', { threads: '1' });
const con = await inst.connect();
await con.run(`COPY (
  SELECT 'series-' || lpad((i // ${points})::VARCHAR, 4, '0') AS series_id,
         (i % ${points})::BIGINT AS position,
         CASE WHEN i % 97 = 13 THEN NULL ELSE sin(0.7 * i) * (i % 1013) END AS value
  FROM range(${series * points}) t(i)
) TO ${q(duck)} (FORMAT parquet, ROW_GROUP_SIZE 10000000)`);
if (writer !== 'duckdb') {
  const pl = require('nodejs-polars');
  const opts = writer === 'polars-zstd' ? { compression: 'zstd' } : undefined;
  pl.readParquet(duck).writeParquet(out, opts);
  fs.rmSync(duck);
}
const r = await con.runAndReadAll(`SELECT count(*) AS row_groups FROM parquet_metadata(${q(out)}) WHERE path_in_schema = 'value'`);
console.log(`${writer} wrote ${out}: ${series * points} rows, row groups: ${r.getRows()[0][0]}`);
