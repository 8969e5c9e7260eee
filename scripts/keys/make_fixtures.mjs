// make_fixtures.mjs writes testdata/keys/: Parquet files whose sequence-id and order columns
// have every type SPEC v2 accepts (and some it refuses), written by DuckDB and by polars with
// their default writer settings.
//
// Every good file also holds the same keys as BIGINT (ref_seq, ref_pos), so a test can run the
// tool once with the typed keys and once with the int64 ones and require equal outputs. The
// order values are affine in ref_pos with exact steps (pos/4 for floats, pos/100 for
// DECIMAL(9,2), pos minutes for timestamps, ...), so even --bandwidth results must be equal to
// the bit when the bandwidth is scaled the same way (keys_test.go holds the table).
//
// Usage: cd scripts/keys && npm ci && node make_fixtures.mjs [--out DIR]
// (npm may skip polars' native package: then `npm i -E nodejs-polars-linux-x64-gnu@0.25.2`).

import { DuckDBInstance } from '@duckdb/node-api';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const pl = require('nodejs-polars');

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const i = args.indexOf('--out');
const OUT = path.resolve(i >= 0 ? args[i + 1] : path.join(here, '..', '..', 'testdata', 'keys'));
fs.mkdirSync(OUT, { recursive: true });

// ------------------------------------------------------------------ deterministic base rows

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

// Sequences of these lengths; positions rise by irregular steps of 1..4 (so --bandwidth sees
// gaps), and the rows of odd sequences are stored in reverse (so the order column is needed).
const LENGTHS = [9, 1, 14, 23, 6];
const rand = prng(20261130);
const rows = []; // {r, s, pos, value}
for (let s = 0; s < LENGTHS.length; s++) {
  let pos = Math.floor(rand() * 5);
  const seq = [];
  for (let k = 0; k < LENGTHS[s]; k++) {
    const value = Number((Math.sin(0.37 * (rows.length + k) + 1.13 * s) * 3).toFixed(6));
    seq.push({ s, pos, value });
    pos += 1 + Math.floor(rand() * 4);
  }
  if (s % 2 === 1) seq.reverse();
  for (const e of seq) rows.push({ r: rows.length, ...e });
}

// ------------------------------------------------------------------ DuckDB

const db = await (await DuckDBInstance.create(':memory:')).connect();
const values = rows.map((e) => `(${e.r}, ${e.s}, ${e.pos}, ${e.value}::DOUBLE)`).join(',\n');
await db.run(`CREATE TABLE base AS SELECT * FROM (VALUES ${values}) t(r, s, pos, value)`);

async function duck(name, select, orderBy = 'r') {
  const file = path.join(OUT, name);
  await db.run(`COPY (SELECT ${select} FROM base ORDER BY ${orderBy}) TO '${file}' (FORMAT parquet)`);
  console.log('wrote', name);
}

const REF = 's::BIGINT AS ref_seq, pos::BIGINT AS ref_pos, value';

// Sequence ids of every accepted type, the order a BIGINT position.
await duck('duckdb_ids.parquet', `
  (4000000000 + s)::UINTEGER AS id_u32,
  (18000000000000000000::UBIGINT + s::UBIGINT) AS id_u64,
  s::UTINYINT AS id_u8, (s * 1000)::USMALLINT AS id_u16, (s - 2)::TINYINT AS id_i8, (s - 2)::SMALLINT AS id_i16,
  ('f0e1d2c3-b4a5-4697-8899-' || lpad(s::VARCHAR, 12, '0'))::UUID AS id_uuid,
  (s * 1.25 - 3)::DECIMAL(9,2) AS id_dec9,
  (s * 1000.125 - 7)::DECIMAL(18,3) AS id_dec18,
  (s::DECIMAL(38,4) - 12345678901234567890123.4567::DECIMAL(38,4)) AS id_dec38,
  DATE '2024-02-28' + s::INTEGER AS id_date,
  TIMESTAMP '2024-03-01 00:00:00' + to_hours(s) AS id_ts,
  (TIMESTAMPTZ '2024-03-01 00:00:00+00' + to_hours(s)) AS id_tstz,
  'seq-' || s AS id_str,
  ('b' || s)::BLOB AS id_blob,
  ${REF}`);

// Order columns of every accepted type, the id a BIGINT.
await duck('duckdb_orders.parquet', `
  s::BIGINT AS sequence_id,
  (pos - 50)::INTEGER AS ord_i32, (pos - 50)::SMALLINT AS ord_i16, pos::UTINYINT AS ord_u8, pos::USMALLINT AS ord_u16,
  (pos + 3000000000)::UINTEGER AS ord_u32,
  (pos::UBIGINT + 18000000000000000000::UBIGINT) AS ord_u64,
  (pos / 4)::DOUBLE AS ord_f64, (pos / 4)::FLOAT AS ord_f32,
  (pos / 100)::DECIMAL(9,2) AS ord_dec9, (pos / 1000)::DECIMAL(18,3) AS ord_dec18,
  (pos / 10000)::DECIMAL(38,4) AS ord_dec38,
  DATE '2024-01-01' + pos::INTEGER AS ord_date,
  TIME '00:00:00' + to_seconds(pos) AS ord_time,
  TIMESTAMP '2024-03-01 00:00:00' + to_minutes(pos) AS ord_ts,
  (TIMESTAMP '2024-03-01 00:00:00' + to_minutes(pos))::TIMESTAMP_MS AS ord_ts_ms,
  (TIMESTAMP '2024-03-01 00:00:00' + to_minutes(pos))::TIMESTAMP_NS AS ord_ts_ns,
  (TIMESTAMP '2024-03-01 00:00:00' + to_minutes(pos))::TIMESTAMP_S AS ord_ts_s,
  (TIMESTAMPTZ '2024-03-01 00:00:00+00' + to_minutes(pos)) AS ord_tstz,
  ${REF}`);

// The default names: an unsigned id and a DOUBLE position next to a list value column (v1
// read this file as nested, every vector a series).
await duck('duckdb_defaults_list.parquet', `
  (4000000000 + s)::UINTEGER AS sequence_id, (pos / 4)::DOUBLE AS position,
  [value, -value, value * 0.5]::FLOAT[] AS value, s::BIGINT AS ref_seq, pos::BIGINT AS ref_pos`);

// A series keyed by UUID with a TIME order column named timestamp.
await duck('duckdb_uuid_time.parquet', `
  ('00000000-0000-4000-8000-' || lpad(s::VARCHAR, 12, '0'))::UUID AS series_id,
  TIME '06:00:00' + to_seconds(pos * 30) AS timestamp, ${REF}`);

// The nested layout: one series per row, its times as lists of every accepted type, in file
// order (unsorted in odd sequences).
const l = (expr) => `list(${expr} ORDER BY r)`;
await db.run(`COPY (SELECT s::BIGINT AS series_id, ${l('value')} AS value, ${l('pos::BIGINT')} AS ref_times,
  ${l('(pos / 4)::DOUBLE')} AS t_f64, ${l('(pos / 4)::FLOAT')} AS t_f32,
  ${l('(pos + 3000000000)::UINTEGER')} AS t_u32, ${l('(pos::UBIGINT + 18000000000000000000::UBIGINT)')} AS t_u64,
  ${l('(pos / 100)::DECIMAL(9,2)')} AS t_dec9, ${l('(pos / 1000)::DECIMAL(18,3)')} AS t_dec18,
  ${l("DATE '2024-01-01' + pos::INTEGER")} AS t_date, ${l("TIME '00:00:00' + to_seconds(pos)")} AS t_time,
  ${l("(TIMESTAMP '2024-03-01 00:00:00' + to_minutes(pos))::TIMESTAMP_MS")} AS t_ts_ms,
  ${l("(TIMESTAMPTZ '2024-03-01 00:00:00+00' + to_minutes(pos))")} AS t_tstz
  FROM base GROUP BY s ORDER BY s) TO '${path.join(OUT, 'duckdb_nested_times.parquet')}' (FORMAT parquet)`);
console.log('wrote duckdb_nested_times.parquet');

// A time-ordered table: the series interleave row by row (inspect says so).
await duck('duckdb_interleaved.parquet', `s::BIGINT AS series_id, pos::BIGINT AS position, value`, 'pos, s');

// Key columns that cannot be used: each is an error for its file.
await duck('bad_iso_string_timestamp.parquet', `
  s::BIGINT AS series_id, strftime(TIMESTAMP '2024-03-01' + to_minutes(pos), '%Y-%m-%dT%H:%M:%S') AS timestamp, value`);
await duck('bad_double_id.parquet', `(s + 0.5)::DOUBLE AS sequence_id, pos::BIGINT AS position, value`);
await duck('bad_bool_position.parquet', `s::BIGINT AS sequence_id, (pos % 2 = 0) AS position, [value, value]::FLOAT[] AS value`);
await duck('bad_null_order.parquet', `
  s::BIGINT AS sequence_id, CASE WHEN r = 12 THEN NULL ELSE pos / 4 END::DOUBLE AS position, value`);
await duck('bad_nan_order.parquet', `
  ('seq-' || s) AS sequence_id, CASE WHEN r = 30 THEN 'NaN'::DOUBLE ELSE pos / 4 END::DOUBLE AS position, value`);

// ------------------------------------------------------------------ polars

const col = (f) => rows.map(f);
const names = ['alpha', 'bravo', 'charlie', 'delta', 'echo'];
const base = pl.DataFrame({
  name: col((e) => names[e.s]),
  ref_seq: pl.Series('ref_seq', col((e) => e.s), pl.Int64),
  ref_pos: pl.Series('ref_pos', col((e) => e.pos), pl.Int64),
  value: pl.Series('value', col((e) => e.value), pl.Float64),
});

function polars(name, df) {
  df.writeParquet(path.join(OUT, name));
  console.log('wrote', name, df.dtypes.map(String).join(' '));
}

// UInt32 ids from rank, UInt32 positions from withRowIndex (file order: the rows of odd
// sequences are reversed, so ref_pos for this file is the row index itself).
polars('polars_rank_rowindex.parquet', base
  .withColumns(pl.col('name').rank('dense').alias('sequence_id'))
  .withRowIndex('position')
  .withColumns(pl.col('position').cast(pl.Int64).alias('ref_pos')));

// UInt64 ids from hash (seeded so that some exceed 2^63), UInt32 positions from cumCount.
const hashed = base.withColumns(pl.col('name').hash(7, 11, 13, 17).alias('series_id'));
const maxHash = hashed.getColumn('series_id').toArray().reduce((a, b) => (BigInt(b) > a ? BigInt(b) : a), 0n);
if (maxHash < 2n ** 63n) throw new Error('no hash above 2^63: pick other seeds');
polars('polars_hash_cumcount.parquet', hashed
  .withColumns(pl.col('value').cumCount().over('name').alias('position'))
  .withColumns(pl.col('position').cast(pl.Int64).alias('ref_pos')));

// Timestamps in ms, us and ns, naive and with time zones, a Date and a Float64 order column.
const minutes = base.withColumns(pl.col('ref_pos').mul(60_000).add(1709251200000).alias('ms'));
polars('polars_times.parquet', minutes.withColumns(
  pl.col('name').alias('sequence_id'),
  pl.col('ms').cast(pl.Datetime('ms')).alias('ts_ms'),
  pl.col('ms').cast(pl.Datetime('ms')).cast(pl.Datetime('us')).alias('ts_us'),
  pl.col('ms').cast(pl.Datetime('ms')).cast(pl.Datetime('ns')).alias('ts_ns'),
  pl.col('ms').cast(pl.Datetime('ms', 'UTC')).alias('ts_ms_utc'),
  pl.col('ms').cast(pl.Datetime('ms', 'UTC')).cast(pl.Datetime('us', 'Europe/Paris')).alias('ts_us_paris'),
  pl.col('ms').cast(pl.Datetime('ms', 'UTC')).cast(pl.Datetime('ns', 'America/New_York')).alias('ts_ns_ny'),
  pl.col('ref_pos').cast(pl.Int32).cast(pl.Date).alias('day'),
  pl.col('ref_pos').cast(pl.Float64).div(4).alias('f64'),
).drop('ms'));

// A Float64 order column named position next to a list value column.
polars('polars_float_position_list.parquet', base.withColumns(
  pl.col('name').alias('sequence_id'),
  pl.col('ref_pos').cast(pl.Float64).div(4).alias('position'),
  pl.concatList([pl.col('value'), pl.col('value').mul(-1)]).alias('embedding'),
));

// The nested layout from polars: lists of ns timestamps with a time zone, and of Float64.
polars('polars_nested_times.parquet', minutes
  .withColumns(
    pl.col('ms').cast(pl.Datetime('ms', 'UTC')).cast(pl.Datetime('ns', 'America/New_York')).alias('times'),
    pl.col('ref_pos').cast(pl.Float64).div(4).alias('f64'),
  )
  .groupBy('name').agg(pl.col('value'), pl.col('times'), pl.col('f64'), pl.col('ref_pos').alias('ref_times'))
  .sort('name')
  .rename({ name: 'sequence_id' }));
