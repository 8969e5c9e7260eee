// make_fixtures.mjs writes the DuckDB interop fixtures into testdata/interop/ and records,
// for every fixture (including the ones written by scripts/arrowgo-fixtures), what DuckDB
// reads back: testdata/interop/manifest.json plus one <name>.json of expected values each.
//
// DuckDB is the source of truth for expected values: they are read back from the written
// file with read_parquet(..., file_row_number=true) ORDER BY file_row_number, never taken
// from the generator's own arrays. Data is deterministic (closed-form sin/cos, a seeded
// PRNG), so re-running with the same DuckDB version gives the same bytes.
//
// Usage (see testdata/interop/README.md):
//   cd scripts/interop && npm ci && node make_fixtures.mjs
// Options: --out DIR (default ../../testdata/interop), --skip-go (do not require the
// arrow-go / parquet-go files; their manifest entries are dropped).

import { DuckDBInstance } from '@duckdb/node-api';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const argVal = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};
const OUT = path.resolve(argVal('--out', path.join(here, '..', '..', 'testdata', 'interop')));
const SKIP_GO = args.includes('--skip-go');
fs.mkdirSync(OUT, { recursive: true });

// ---------------------------------------------------------------- deterministic data

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

// Component c of global row r: a short decimal (6 digits) so the SQL literal is exact text;
// DuckDB rounds it to float32 for FLOAT columns.
const comp = (r, c, k = 0) =>
  Number((Math.sin(0.37 * r + 1.13 * c + 0.5 * k) * Math.cos(0.11 * r - 0.29 * c)).toFixed(6));
const vec = (r, d, k = 0) => Array.from({ length: d }, (_, c) => comp(r, c, k));

const T0 = 1709251200000000; // 2024-03-01 00:00:00 UTC in microseconds
const MIN = 60_000_000;

// ---------------------------------------------------------------- SQL rendering

const NAN = Symbol('NaN');

function lit(v, type) {
  if (v === null || v === undefined) return `NULL::${type}`;
  if (type.endsWith('[]') || /\[\d+\]$/.test(type)) {
    const inner = type.replace(/\[\d*\]$/, '');
    return `[${v.map((x) => lit(x, inner)).join(', ')}]::${type}`;
  }
  if (v === NAN) return `'NaN'::${type}`;
  switch (type) {
    case 'VARCHAR':
      return `'${String(v).replaceAll("'", "''")}'`;
    case 'TIMESTAMP':
      return `make_timestamp(${v}::BIGINT)`;
    case 'BOOLEAN':
      return v ? 'true' : 'false';
    default:
      return `${v}::${type}`;
  }
}

// cols: [[name, type], ...]; rows: arrays in column order. segments: list of row counts; each
// segment is a separate UNION ALL branch, so DuckDB's writer (which only cuts row groups at
// input chunk boundaries) starts a new row group at each one when ROW_GROUP_SIZE is small.
function selectSQL(cols, rows, segments) {
  const names = cols.map(([n]) => `"${n}"`).join(', ');
  const segs = segments ?? [rows.length];
  const parts = [];
  let at = 0;
  for (const n of segs) {
    const chunk = rows.slice(at, at + n);
    at += n;
    const values = chunk.map((r) => `(${r.map((v, i) => lit(v, cols[i][1])).join(', ')})`);
    parts.push(`SELECT * FROM (VALUES ${values.join(',\n ')}) t(${names})`);
  }
  if (at !== rows.length) throw new Error('segments do not add up');
  if (rows.length === 0) {
    // zero rows: keep the schema
    const nulls = cols.map(([n, t]) => `NULL::${t} AS "${n}"`).join(', ');
    return `SELECT ${nulls} WHERE false`;
  }
  return parts.join('\nUNION ALL\n');
}

// ---------------------------------------------------------------- fixture specs

const specs = [];
function add(spec) {
  specs.push({
    writer: 'duckdb',
    sequence_column: null,
    order_column: null,
    time_column: null,
    error: null,
    compression: 'zstd',
    ...spec,
  });
}

// Long layout, vector sequences: 5 sequences, lengths 4,1,7,3,9 (a length-1 sequence too).
function longRows({ d, idOf = (s) => `seq-${s}`, lengths = [4, 1, 7, 3, 9], k = 0 }) {
  const rows = [];
  let r = 0;
  lengths.forEach((n, s) => {
    for (let p = 0; p < n; p++, r++) rows.push([idOf(s), p, vec(r, d, k)]);
  });
  return rows;
}

const longCols = (vt) => [
  ['sequence_id', 'VARCHAR'],
  ['position', 'INTEGER'],
  ['embedding', vt],
];
const longMeta = {
  layout: 'long',
  value_column: 'embedding',
  sequence_column: 'sequence_id',
  order_column: 'position',
};

add({
  file: 'long_f32_list.parquet',
  ...longMeta,
  type: 'float32',
  d: 8,
  shape: 'list',
  cols: longCols('FLOAT[]'),
  rows: longRows({ d: 8 }),
  description: 'FLOAT[] embeddings, 5 sequences of lengths 4,1,7,3,9, zstd',
});
for (const compression of ['snappy', 'uncompressed']) {
  add({
    file: `long_f32_list_${compression}.parquet`,
    ...longMeta,
    type: 'float32',
    d: 8,
    shape: 'list',
    compression,
    cols: longCols('FLOAT[]'),
    rows: longRows({ d: 8 }),
    description: `same data as long_f32_list.parquet, ${compression}`,
  });
}
add({
  file: 'long_f32_list_v2.parquet',
  ...longMeta,
  type: 'float32',
  d: 8,
  shape: 'list',
  parquet_version: 'V2',
  cols: longCols('FLOAT[]'),
  rows: longRows({ d: 8 }),
  description: 'same data as long_f32_list.parquet, PARQUET_VERSION V2 (data page v2, BYTE_STREAM_SPLIT floats, DELTA encodings)',
});
add({
  file: 'long_f32_fixed8.parquet',
  ...longMeta,
  type: 'float32',
  d: 8,
  shape: 'list',
  cols: longCols('FLOAT[8]'),
  rows: longRows({ d: 8, k: 1 }),
  description: 'written from a DuckDB FLOAT[8] (ARRAY) column: DuckDB stores it as a plain LIST, no ARROW:schema, so the fixed size is not in the file',
});
add({
  file: 'long_f64_list.parquet',
  ...longMeta,
  type: 'float64',
  d: 4,
  shape: 'list',
  cols: longCols('DOUBLE[]'),
  rows: longRows({ d: 4, k: 2 }),
  description: 'DOUBLE[] embeddings d=4',
});
add({
  file: 'long_bigint_ids.parquet',
  ...longMeta,
  type: 'float32',
  d: 8,
  shape: 'list',
  cols: [
    ['sequence_id', 'BIGINT'],
    ['position', 'INTEGER'],
    ['embedding', 'FLOAT[]'],
  ],
  rows: longRows({ d: 8, idOf: (s) => 9000000000 + 7 * s, k: 3 }),
  description: 'BIGINT sequence ids (above 2^32)',
});
{
  // positions out of order within each sequence (rows of a sequence stay contiguous)
  const rnd = prng(7);
  const rows = [];
  let r = 0;
  [6, 5, 8].forEach((n, s) => {
    const ps = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [ps[i], ps[j]] = [ps[j], ps[i]];
    }
    for (const p of ps) rows.push([`u${s}`, p, vec(100 + s * 20 + p, 8, 4)]), r++;
  });
  add({
    file: 'long_unordered_positions.parquet',
    ...longMeta,
    type: 'float32',
    d: 8,
    shape: 'list',
    cols: longCols('FLOAT[]'),
    rows,
    description: 'positions shuffled within each sequence; the value of (sequence s, position p) is a function of (s, p), so sorting by position must give the same vectors as a sorted file',
  });
}
{
  const scalarRows = (k) => {
    const rows = [];
    let r = 0;
    [10, 3, 16].forEach((n, s) => {
      for (let p = 0; p < n; p++, r++) rows.push([`s${s}`, p, comp(r, 0, k)]);
    });
    return rows;
  };
  add({
    file: 'long_f32_scalar.parquet',
    layout: 'long',
    value_column: 'value',
    sequence_column: 'sequence_id',
    order_column: 'position',
    type: 'float32',
    d: 1,
    shape: 'scalar',
    cols: [
      ['sequence_id', 'VARCHAR'],
      ['position', 'INTEGER'],
      ['value', 'FLOAT'],
    ],
    rows: scalarRows(5),
    description: 'scalar FLOAT value column (d=1)',
  });
  add({
    file: 'long_f64_scalar.parquet',
    layout: 'long',
    value_column: 'value',
    sequence_column: 'sequence_id',
    order_column: 'position',
    type: 'float64',
    d: 1,
    shape: 'scalar',
    cols: [
      ['sequence_id', 'VARCHAR'],
      ['position', 'INTEGER'],
      ['value', 'DOUBLE'],
    ],
    rows: scalarRows(6),
    description: 'scalar DOUBLE value column (d=1)',
  });
  add({
    file: 'long_single_sequence.parquet',
    layout: 'long',
    value_column: 'value',
    sequence_column: null,
    order_column: null,
    type: 'float64',
    d: 1,
    shape: 'scalar',
    cols: [['value', 'DOUBLE']],
    rows: Array.from({ length: 25 }, (_, r) => [comp(r, 0, 7)]),
    description: 'only a DOUBLE value column: no sequence and no order column, the whole file is one sequence in file order',
  });
}
{
  // time series, long: regular 1-minute series, an irregular one, one with NULL and NaN gaps
  const rows = [];
  for (let i = 0; i < 30; i++) rows.push(['regular', T0 + i * MIN, Number((20 + 3 * Math.sin(i / 4)).toFixed(6))]);
  const rnd = prng(11);
  let t = T0;
  for (let i = 0; i < 25; i++) {
    rows.push(['irregular', t, Number((5 * Math.cos(i / 3) + i * 0.1).toFixed(6))]);
    t += Math.round((5 + rnd() * 300) * 1e6); // 5 s .. 305 s, whole microseconds
  }
  for (let i = 0; i < 20; i++) {
    let v = Number((100 + 10 * Math.sin(i / 2)).toFixed(6));
    if (i === 4 || i === 12 || i === 13) v = null;
    if (i === 8 || i === 15) v = NAN;
    rows.push(['gappy', T0 + i * 30_000_000, v]);
  }
  add({
    file: 'ts_long.parquet',
    layout: 'long',
    value_column: 'value',
    sequence_column: 'series_id',
    order_column: 'timestamp',
    time_column: 'timestamp',
    type: 'float64',
    d: 1,
    shape: 'scalar',
    cols: [
      ['series_id', 'VARCHAR'],
      ['timestamp', 'TIMESTAMP'],
      ['value', 'DOUBLE'],
    ],
    rows,
    description: "time series: 'regular' (30 points, 1 min), 'irregular' (25 points, 5..305 s apart), 'gappy' (20 points, 30 s, NULL at 4,12,13 and NaN at 8,15)",
  });
}
{
  // several row groups of 7 rows; sequences of 5, 6, 9, 4, 4 rows so that 'b' (rows 5..10)
  // and 'c' (rows 11..19) cross row-group boundaries (7, 14)
  const rows = longRows({ d: 4, idOf: (s) => 'abcde'[s], lengths: [5, 6, 9, 4, 4], k: 8 });
  add({
    file: 'long_rowgroups.parquet',
    ...longMeta,
    type: 'float32',
    d: 4,
    shape: 'list',
    cols: longCols('FLOAT[]'),
    rows,
    segments: [7, 7, 7, 7],
    row_group_size: 7,
    description: "4 row groups of 7 rows; sequence 'b' spans row groups 0-1, 'c' spans 1-2",
  });
}
{
  const rnd = prng(23);
  const rows = longRows({ d: 8, lengths: [3, 5, 2, 6], k: 9 }).map(([s, p, e], r) => [
    `label ${r}`,
    s,
    r * 11 - 5,
    p,
    T0 + r * 3_600_000_000,
    e,
    r % 3 === 1 ? null : `note-${Math.floor(rnd() * 1000)}`,
    r % 4 === 2 ? null : Number((rnd() * 2 - 1).toFixed(6)),
    r % 2 === 0,
  ]);
  add({
    file: 'long_passthrough.parquet',
    ...longMeta,
    type: 'float32',
    d: 8,
    shape: 'list',
    cols: [
      ['label', 'VARCHAR'],
      ['sequence_id', 'VARCHAR'],
      ['count', 'INTEGER'],
      ['position', 'INTEGER'],
      ['created_at', 'TIMESTAMP'],
      ['embedding', 'FLOAT[]'],
      ['note', 'VARCHAR'],
      ['score', 'DOUBLE'],
      ['flag', 'BOOLEAN'],
    ],
    rows,
    expect_all_columns: true,
    description: 'extra columns that the tool must pass through unchanged and in place: label VARCHAR, count INTEGER (negative too), created_at TIMESTAMP, note VARCHAR (NULL every 3rd row), score DOUBLE (NULL every 4th), flag BOOLEAN; value column in the middle',
  });
}
add({
  file: 'long_empty.parquet',
  ...longMeta,
  type: 'float32',
  d: null,
  shape: 'list',
  cols: longCols('FLOAT[]'),
  rows: [],
  description: 'valid schema, zero rows',
});

// Nested layout: one row per sequence.
{
  const lens = [3, 6, 1, 4];
  let r = 0;
  const rows = lens.map((n, s) => [`doc-${s}`, Array.from({ length: n }, () => vec(r++, 8, 10))]);
  add({
    file: 'nested_f32_list_of_list.parquet',
    layout: 'nested',
    value_column: 'embedding',
    sequence_column: 'sequence_id',
    type: 'float32',
    d: 8,
    shape: 'list_of_list',
    cols: [
      ['sequence_id', 'VARCHAR'],
      ['embedding', 'FLOAT[][]'],
    ],
    rows,
    description: 'FLOAT[][] (list<list<float>>), 4 sequences of 3,6,1,4 vectors of d=8',
  });
  r = 0;
  const rows64 = [5, 2, 7].map((n, s) => [s, Array.from({ length: n }, () => vec(r++, 3, 11))]);
  add({
    file: 'nested_f64_list_of_list.parquet',
    layout: 'nested',
    value_column: 'embedding',
    sequence_column: 'sequence_id',
    type: 'float64',
    d: 3,
    shape: 'list_of_list',
    compression: 'snappy',
    cols: [
      ['sequence_id', 'INTEGER'],
      ['embedding', 'DOUBLE[][]'],
    ],
    rows: rows64,
    description: 'DOUBLE[][] d=3, INTEGER sequence ids, snappy',
  });
}
{
  const rnd = prng(31);
  const series = [
    ['temp', 24, () => MIN],
    ['pressure', 15, () => Math.round((1 + rnd() * 120) * 1e6)],
    ['flow', 12, () => 10_000_000],
  ];
  const rows = series.map(([id, n, step], k) => {
    const ts = [];
    const vs = [];
    let t = T0 + k * 1000;
    for (let i = 0; i < n; i++) {
      ts.push(t);
      t += step();
      vs.push(id === 'flow' && i === 5 ? NAN : Number((Math.sin(i / 3 + k) * (k + 1)).toFixed(6)));
    }
    return [id, ts, vs, 'site-' + k];
  });
  add({
    file: 'nested_series_f64.parquet',
    layout: 'nested',
    value_column: 'value',
    sequence_column: 'series_id',
    time_column: 'timestamps',
    type: 'float64',
    d: 1,
    shape: 'list',
    cols: [
      ['series_id', 'VARCHAR'],
      ['timestamps', 'TIMESTAMP[]'],
      ['value', 'DOUBLE[]'],
      ['site', 'VARCHAR'],
    ],
    rows,
    description: "nested series: value DOUBLE[] with times in TIMESTAMP[] 'timestamps' (named so it is not taken for a long-layout order column); 'pressure' irregular, 'flow' has a NaN at index 5",
  });
  add({
    file: 'nested_series_f32_no_time.parquet',
    layout: 'nested',
    value_column: 'value',
    sequence_column: 'series_id',
    type: 'float32',
    d: 1,
    shape: 'list',
    cols: [
      ['series_id', 'VARCHAR'],
      ['value', 'FLOAT[]'],
    ],
    rows: rows.map(([id, , vs]) => [id, vs]),
    description: 'nested series FLOAT[] without a time column: auto layout must say nested (list of scalars, no order column)',
  });
}

// Bad inputs.
{
  const rows = longRows({ d: 8, k: 12 });
  rows[5][2] = rows[5][2].slice(0, 5);
  add({
    file: 'bad_ragged.parquet',
    ...longMeta,
    type: 'float32',
    d: 8,
    shape: 'list',
    error: 'ragged',
    bad_row: 5,
    cols: longCols('FLOAT[]'),
    rows,
    description: 'row 5 (sequence seq-2, position 0) has 5 components instead of 8',
  });
}
{
  const rows = longRows({ d: 8, k: 13 });
  rows[7][2] = null;
  add({
    file: 'bad_null_vector.parquet',
    ...longMeta,
    type: 'float32',
    d: 8,
    shape: 'list',
    error: 'null_vector',
    bad_row: 7,
    cols: longCols('FLOAT[]'),
    rows,
    description: 'row 7 (sequence seq-2, position 2) has a NULL embedding',
  });
}
{
  let r = 0;
  const rows = [3, 4].map((n, s) => [`doc-${s}`, Array.from({ length: n }, () => vec(r++, 8, 14))]);
  rows[1][1][2] = rows[1][1][2].slice(0, 7);
  add({
    file: 'bad_nested_ragged.parquet',
    layout: 'nested',
    value_column: 'embedding',
    sequence_column: 'sequence_id',
    type: 'float32',
    d: 8,
    shape: 'list_of_list',
    error: 'ragged',
    bad_row: 1,
    cols: [
      ['sequence_id', 'VARCHAR'],
      ['embedding', 'FLOAT[][]'],
    ],
    rows,
    description: 'nested: row 1, element 2 has 7 components instead of 8',
  });
}
add({
  file: 'bad_missing_column.parquet',
  ...longMeta,
  type: 'float32',
  d: 8,
  shape: 'list',
  error: 'missing_column',
  cols: [
    ['sequence_id', 'VARCHAR'],
    ['position', 'INTEGER'],
    ['features', 'FLOAT[]'],
  ],
  rows: longRows({ d: 8, k: 15 }),
  description: "the vectors are in 'features': neither 'embedding' nor 'value' exists (expected values are those of 'features')",
  expected_from: 'features',
});
add({
  file: 'bad_garbage.parquet',
  layout: 'long',
  value_column: 'embedding',
  type: 'float32',
  d: null,
  shape: 'list',
  error: 'garbage',
  bytes: (() => {
    const rnd = prng(99);
    return Buffer.from(Array.from({ length: 4096 }, () => Math.floor(rnd() * 256)));
  })(),
  description: '4096 pseudo-random bytes (mulberry32 seed 99), no PAR1 magic',
});
add({
  file: 'bad_truncated.parquet',
  ...longMeta,
  type: 'float32',
  d: 8,
  shape: 'list',
  error: 'truncated',
  truncate_of: 'long_f32_list.parquet',
  description: 'the first half (floor(size/2) bytes) of long_f32_list.parquet: PAR1 at the start, no footer',
});
add({
  file: 'bad_empty_file.parquet',
  layout: 'long',
  value_column: 'embedding',
  type: 'float32',
  d: null,
  shape: 'list',
  error: 'empty_file',
  bytes: Buffer.alloc(0),
  description: 'zero bytes',
});

// Files written by scripts/arrowgo-fixtures (Go): only read back here.
const goSpecs = [
  {
    file: 'arrowgo_fixed_size_list_f32.parquet',
    writer: 'arrow-go',
    ...longMeta,
    type: 'float32',
    d: 8,
    shape: 'fixed_size_list',
    description: 'pqarrow: embedding fixed_size_list<float32>[8] with ARROW:schema, one row group (pqarrow corrupts fixed_size_list columns spanning several row groups)',
  },
  {
    file: 'arrowgo_large_list_f64.parquet',
    writer: 'arrow-go',
    ...longMeta,
    type: 'float64',
    d: 4,
    shape: 'list',
    arrow_type: 'large_list<double>',
    description: 'pqarrow: embedding large_list<float64> (d=4) with ARROW:schema, 3 row groups of 8 rows, dictionary pages, snappy',
  },
  {
    file: 'arrowgo_nested_list_of_list_f32.parquet',
    writer: 'arrow-go',
    layout: 'nested',
    value_column: 'embedding',
    sequence_column: 'sequence_id',
    order_column: null,
    type: 'float32',
    d: 8,
    shape: 'list_of_list',
    description: 'pqarrow: list<fixed_size_list<float32>[8]> one row per sequence, ARROW:schema',
  },
  {
    file: 'arrowgo_flba_f32.parquet',
    writer: 'arrow-go',
    ...longMeta,
    type: 'float32',
    d: 8,
    shape: 'flba',
    description: 'pqarrow: embedding fixed_size_binary(32) = 8 little-endian float32 per row (FIXED_LEN_BYTE_ARRAY); DuckDB reads BLOB, expected values are its bytes decoded as float32 LE',
  },
  {
    file: 'parquetgo_legacy_f32.parquet',
    writer: 'parquet-go',
    ...longMeta,
    type: 'float32',
    d: 8,
    shape: 'legacy',
    description: 'parquet-go: bare []float32 field = legacy 2-level repeated float (no LIST annotation)',
  },
  {
    file: 'parquetgo_list_f32_multipage.parquet',
    writer: 'parquet-go',
    ...longMeta,
    type: 'float32',
    d: 8,
    shape: 'list',
    description: 'parquet-go: `list` tag (3-level LIST), data page v1, snappy, 10 pages per column chunk (parquet-go ends pages at row boundaries), 2 row groups of 20 rows',
  },
  {
    file: 'arrowgo_list_f16.parquet',
    writer: 'arrow-go',
    ...longMeta,
    type: 'float16',
    d: 8,
    shape: 'list',
    description: 'pqarrow: embedding list<float16> (Parquet FLOAT16 = FIXED_LEN_BYTE_ARRAY(2)) d=8, 3 row groups of 10 rows (sequences span them), dictionary pages, snappy',
  },
  {
    file: 'arrowgo_large_list_f16.parquet',
    writer: 'arrow-go',
    ...longMeta,
    type: 'float16',
    d: 4,
    shape: 'list',
    arrow_type: 'large_list<halffloat>',
    description: 'pqarrow: embedding large_list<float16> d=4, 2 row groups, plain, zstd, data page v2',
  },
  {
    file: 'arrowgo_fixed_size_list_f16.parquet',
    writer: 'arrow-go',
    ...longMeta,
    type: 'float16',
    d: 16,
    shape: 'fixed_size_list',
    description: 'pqarrow: embedding fixed_size_list<float16>[16], one row group',
  },
  {
    file: 'arrowgo_nested_list_of_list_f16.parquet',
    writer: 'arrow-go',
    layout: 'nested',
    value_column: 'embedding',
    sequence_column: 'sequence_id',
    order_column: null,
    type: 'float16',
    d: 8,
    shape: 'list_of_list',
    description: 'pqarrow: list<fixed_size_list<float16>[8]> one row per sequence',
  },
  {
    file: 'arrowgo_series_f16.parquet',
    writer: 'arrow-go',
    layout: 'long',
    value_column: 'value',
    sequence_column: 'series_id',
    order_column: 'position',
    type: 'float16',
    d: 1,
    shape: 'scalar',
    description: 'pqarrow: scalar float16 series (nullable) with nulls, signed zeros, subnormals, +-65504',
  },
];
for (const g of goSpecs) {
  const p = path.join(OUT, g.file);
  if (!fs.existsSync(p)) {
    if (SKIP_GO) continue;
    throw new Error(`${p} missing: run scripts/arrowgo-fixtures first (or pass --skip-go)`);
  }
  add({ compression: null, ...g, external: true });
}

// ---------------------------------------------------------------- write + read back

const inst = await DuckDBInstance.create(':memory:', { threads: '1' });
const con = await inst.connect();
const q = async (sql) => (await con.runAndReadAll(sql)).getRowObjectsJS();
const sqlPath = (p) => `'${p.replaceAll("'", "''")}'`;

function plain(v) {
  if (typeof v === 'bigint') {
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) return v.toString();
    return Number(v);
  }
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : Number.isFinite(v) ? v : v > 0 ? 'Infinity' : '-Infinity';
  if (Array.isArray(v)) return v.map(plain);
  if (v === undefined) return null;
  if (v instanceof Uint8Array) return Array.from(v);
  if (v !== null && typeof v === 'object' && 'items' in v) return v.items.map(plain);
  return v;
}

// DuckDB BLOB -> float32 little-endian
function blobFloats(v) {
  if (v === null) return null;
  const bytes = v instanceof Uint8Array ? v : v.bytes;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: bytes.byteLength / 4 }, (_, i) => dv.getFloat32(i * 4, true));
}

const isTime = (type) => type.startsWith('TIMESTAMP');

const manifest = [];
for (const s of specs) {
  const file = path.join(OUT, s.file);
  if (!s.external) {
    if (s.bytes) fs.writeFileSync(file, s.bytes);
    else if (s.truncate_of) {
      const src = fs.readFileSync(path.join(OUT, s.truncate_of));
      fs.writeFileSync(file, src.subarray(0, Math.floor(src.length / 2)));
    } else {
      const opts = [`FORMAT parquet`, `COMPRESSION ${s.compression}`];
      if (s.row_group_size) opts.push(`ROW_GROUP_SIZE ${s.row_group_size}`);
      if (s.parquet_version) opts.push(`PARQUET_VERSION ${s.parquet_version}`);
      fs.rmSync(file, { force: true });
      await con.run(`COPY (${selectSQL(s.cols, s.rows, s.segments)}) TO ${sqlPath(file)} (${opts.join(', ')})`);
    }
  }
  const entry = {
    file: s.file,
    writer: s.writer,
    layout: s.layout,
    value_column: s.value_column,
    sequence_column: s.sequence_column,
    order_column: s.order_column,
    time_column: s.time_column,
    type: s.type,
    d: s.d,
    shape: s.shape,
    rows: null,
    row_groups: null,
    row_group_rows: null,
    compression: null,
    columns: null,
    expected: null,
    error: s.error,
    description: s.description,
  };
  if (s.arrow_type) entry.arrow_type = s.arrow_type;
  if (s.bad_row !== undefined) entry.bad_row = s.bad_row;
  if (s.parquet_version) entry.parquet_version = s.parquet_version;
  if (s.cols) entry.written_types = Object.fromEntries(s.cols.map(([n, t]) => [n, t]));

  if (s.error === 'garbage' || s.error === 'truncated' || s.error === 'empty_file') {
    // DuckDB must refuse it too
    let refused = false;
    try {
      await q(`SELECT count(*) FROM read_parquet(${sqlPath(file)})`);
    } catch {
      refused = true;
    }
    if (!refused) throw new Error(`${s.file}: DuckDB read a file meant to be unreadable`);
    entry.bytes = fs.statSync(file).size;
    manifest.push(entry);
    continue;
  }

  const fm = (await q(`SELECT num_rows, num_row_groups, created_by FROM parquet_file_metadata(${sqlPath(file)})`))[0];
  entry.rows = Number(fm.num_rows);
  entry.row_groups = Number(fm.num_row_groups);
  entry.created_by = fm.created_by;
  const rg = await q(
    `SELECT DISTINCT row_group_id, row_group_num_rows FROM parquet_metadata(${sqlPath(file)}) ORDER BY row_group_id`,
  );
  entry.row_group_rows = rg.map((x) => Number(x.row_group_num_rows));
  const comps = await q(`SELECT DISTINCT compression FROM parquet_metadata(${sqlPath(file)})`);
  entry.compression = comps.length === 0 ? null : comps.length === 1 ? String(comps[0].compression).toLowerCase() : comps.map((c) => String(c.compression).toLowerCase()).sort();
  const kv = await q(`SELECT decode(key) AS key FROM parquet_kv_metadata(${sqlPath(file)})`);
  entry.kv_metadata_keys = kv.map((x) => x.key);
  const desc = await q(`DESCRIBE SELECT * FROM read_parquet(${sqlPath(file)})`);
  entry.columns = desc.map((c) => ({ name: c.column_name, type: c.column_type }));
  const typeOf = Object.fromEntries(entry.columns.map((c) => [c.name, c.type]));
  entry.bytes = fs.statSync(file).size;

  // expected values, in file row order
  const vcol = s.expected_from ?? s.value_column;
  const sel = [`"${vcol}" AS v`];
  if (s.sequence_column) sel.push(`"${s.sequence_column}" AS s`);
  if (s.order_column) {
    sel.push(isTime(typeOf[s.order_column]) ? `epoch_us("${s.order_column}") AS o` : `"${s.order_column}" AS o`);
  }
  if (s.layout === 'nested' && s.time_column) sel.push(`list_transform("${s.time_column}", x -> epoch_us(x)) AS t`);
  const rows = await q(
    `SELECT ${sel.join(', ')} FROM read_parquet(${sqlPath(file)}, file_row_number=true) ORDER BY file_row_number`,
  );
  const exp = { file: s.file, value_column: vcol };
  exp.values = rows.map((r) => (s.shape === 'flba' ? plain(blobFloats(r.v)) : plain(r.v)));
  if (s.sequence_column) exp.sequence = rows.map((r) => plain(r.s));
  if (s.order_column) exp.order = rows.map((r) => plain(r.o));
  if (s.layout === 'nested' && s.time_column) exp.time = rows.map((r) => plain(r.t));
  if (s.expect_all_columns) {
    // every other column too, for pass-through checks (timestamps in microseconds)
    const others = entry.columns.filter((c) => c.name !== vcol);
    const cs = others.map((c) => (isTime(c.type) ? `epoch_us("${c.name}") AS "${c.name}"` : `"${c.name}"`));
    const all = await q(
      `SELECT ${cs.join(', ')} FROM read_parquet(${sqlPath(file)}, file_row_number=true) ORDER BY file_row_number`,
    );
    exp.other_columns = Object.fromEntries(others.map((c) => [c.name, all.map((r) => plain(r[c.name]))]));
  }
  if (rows.length !== entry.rows) throw new Error(`${s.file}: read ${rows.length} rows, footer says ${entry.rows}`);

  // sanity: what was written is what DuckDB reads back (float32 rounding aside)
  if (s.rows) {
    const round = (x) =>
      x === null ? null : x === NAN ? 'NaN' : Array.isArray(x) ? x.map(round) : s.type === 'float32' ? Math.fround(x) : x;
    const want = JSON.stringify(s.rows.map((r) => round(r[s.cols.findIndex(([n]) => n === vcol)])));
    if (want !== JSON.stringify(exp.values)) throw new Error(`${s.file}: read-back values differ from the generator's`);
  }
  if (s.segments) {
    const want = JSON.stringify(s.segments);
    if (want !== JSON.stringify(entry.row_group_rows)) {
      throw new Error(`${s.file}: row groups ${JSON.stringify(entry.row_group_rows)}, wanted ${want}`);
    }
  }

  entry.expected = s.file.replace(/\.parquet$/, '.json');
  fs.writeFileSync(path.join(OUT, entry.expected), JSON.stringify(exp) + '\n');
  manifest.push(entry);
}

const versionRow = (await q(`SELECT version() AS v`))[0];
fs.writeFileSync(
  path.join(OUT, 'manifest.json'),
  JSON.stringify({ generator: 'scripts/interop/make_fixtures.mjs', duckdb: versionRow.v, files: manifest }, null, 2) + '\n',
);
console.log(`wrote ${manifest.length} fixtures to ${OUT} (DuckDB ${versionRow.v})`);
