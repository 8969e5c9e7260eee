// make_fixtures.mjs writes testdata/interleave/: tables kept as time series usually are, ordered
// by time with every series' rows interleaved, and the same rows stored grouped (ordered by
// series, then time), written by DuckDB and by polars with their default writer settings (and
// one DuckDB file with small row groups, so sequences interleave across row groups too).
//
// A test runs the tool on both and requires, row for row, the same output bits; and per
// sequence, in time order, the library's (scipy- and torch-parity) results.
//
// It also writes readings.json (each series' values in time order) for scipy_reference.py,
// which writes scipy_reference.json: gaussian_filter1d per series, the direct scipy check; and
// tokens.json (each sequence's vectors in position order) for torch_reference.py.
//
// Usage: cd scripts/interleave && npm ci && node make_fixtures.mjs [--out DIR] (it empties DIR)
//        then, from the repository root: /usr/bin/python3 scripts/interleave/scipy_reference.py
//        and /usr/bin/python3 scripts/interleave/torch_reference.py
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
const OUT = path.resolve(i >= 0 ? args[i + 1] : path.join(here, '..', '..', 'testdata', 'interleave'));
fs.rmSync(OUT, { recursive: true, force: true });
fs.mkdirSync(OUT, { recursive: true });

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
const rand = prng(20261130);

// ------------------------------------------------------------------ DuckDB: sensor readings
// 24 series of 300 readings, one every minute per series plus a per-series offset of seconds
// (so every timestamp is distinct and the table's time order mixes the series), random walks
// stored with 6 digits.
const SERIES = 24, POINTS = 300;
const readings = [];
for (let s = 0; s < SERIES; s++) {
  let x = 0;
  for (let k = 0; k < POINTS; k++) {
    x += rand() - 0.5;
    readings.push(`('sensor-${String(s).padStart(2, '0')}', ${s % 3}, ${k * 60 + s}, ${x.toFixed(6)}::DOUBLE)`);
  }
}
const db = await (await DuckDBInstance.create(':memory:')).connect();
await db.run(`CREATE TABLE readings AS
  SELECT series_id, ['north', 'south', 'west'][region + 1] AS region,
         TIMESTAMP '2026-01-01 00:00:00' + to_seconds(sec) AS timestamp, value
  FROM (VALUES ${readings.join(',\n')}) t(series_id, region, sec, value)`);

// The readings as JSON for scripts/interleave/scipy_reference.py (no Parquet reader there):
// each series' values in time order, as DuckDB stores them.
const series = {};
for (const row of (await db.runAndReadAll(`SELECT series_id, value FROM readings ORDER BY series_id, timestamp`)).getRows()) {
  (series[row[0]] ??= []).push(row[1]);
}
fs.writeFileSync(path.join(OUT, 'readings.json'), JSON.stringify(series));
console.log('wrote readings.json');

async function duck(name, orderBy, opts = '') {
  const file = path.join(OUT, name);
  await db.run(`COPY (SELECT series_id, timestamp, value FROM readings ORDER BY ${orderBy})
    TO '${file}' (FORMAT parquet${opts})`);
  console.log('wrote', name);
}
await duck('duckdb_time_ordered.parquet', 'timestamp');
await duck('duckdb_time_ordered_small_rg.parquet', 'timestamp', ', ROW_GROUP_SIZE 1000');
await duck('duckdb_grouped.parquet', 'series_id, timestamp');

// PARTITION_BY writes one directory per region; each file's rows interleave.
await db.run(`COPY (SELECT * FROM readings ORDER BY timestamp)
  TO '${path.join(OUT, 'duckdb_partitioned')}' (FORMAT parquet, PARTITION_BY (region))`);
console.log('wrote duckdb_partitioned/');

// ------------------------------------------------------------------ polars: token vectors
// 16 sequences of 64 steps of float32 vectors (d = 8), with unsigned ids, stored step by step.
const D = 8, SEQS = 16, STEPS = 64;
const ids = [], steps = [], vecs = [];
for (let s = 0; s < SEQS; s++) {
  for (let k = 0; k < STEPS; k++) {
    ids.push(1000 + 7 * s);
    steps.push(k);
    vecs.push(Array.from({ length: D }, () => Math.fround(rand() * 2 - 1)));
  }
}
const frame = pl.DataFrame({
  sequence_id: pl.Series('sequence_id', ids, pl.UInt32),
  position: pl.Series('position', steps, pl.Int64),
  embedding: pl.Series('embedding', vecs, pl.List(pl.Float32)),
});
// The vectors as JSON for torch_reference.py: each sequence's, in position order.
const tokens = {};
ids.forEach((id, r) => (tokens[id] ??= []).push(vecs[r]));
fs.writeFileSync(path.join(OUT, 'tokens.json'), JSON.stringify(tokens));
frame.sort(['position', 'sequence_id']).writeParquet(path.join(OUT, 'polars_step_ordered.parquet'));
frame.sort(['sequence_id', 'position']).writeParquet(path.join(OUT, 'polars_grouped.parquet'));
console.log('wrote polars_step_ordered.parquet, polars_grouped.parquet');
