// make_samples.mjs writes the bundled sample Parquet files into samples/ with DuckDB:
//   tokens.parquet         long layout, token embeddings (d = 32)
//   tokens_nested.parquet  nested layout, one row per sequence (d = 32)
//   sensors.parquet        long time series (series_id, timestamp, value)
// The weights (mha_d32_h4.safetensors) come from make_weights.py.
//
// Everything is deterministic (seeded PRNG, one DuckDB thread): re-running with the same
// DuckDB version (pinned in package-lock.json) gives the same bytes.
//
// Usage: cd scripts/samples && npm ci && node make_samples.mjs [--out ../../samples]

import { DuckDBInstance } from '@duckdb/node-api';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const oi = args.indexOf('--out');
const OUT = path.resolve(oi >= 0 ? args[oi + 1] : path.join(here, '..', '..', 'samples'));
fs.mkdirSync(OUT, { recursive: true });

// mulberry32 + Box-Muller: deterministic on every platform.
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
function gauss(rnd) {
  const u = 1 - rnd();
  const v = rnd();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
const norm = (v) => {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};
const randUnit = (rnd, d) => norm(Array.from({ length: d }, () => gauss(rnd)));
const f32 = (v) => v.map((x) => Math.fround(x));

// ---------------------------------------------------------------- SQL rendering

const NAN = Symbol('NaN');
function lit(v, type) {
  if (v === null || v === undefined) return `NULL::${type}`;
  if (type.endsWith('[]')) {
    const inner = type.slice(0, -2);
    return `[${v.map((x) => lit(x, inner)).join(',')}]::${type}`;
  }
  if (v === NAN) return `'NaN'::${type}`;
  if (type === 'VARCHAR') return `'${String(v).replaceAll("'", "''")}'`;
  if (type === 'TIMESTAMP') return `make_timestamp(${v}::BIGINT)`;
  return `${v}::${type}`;
}

const db = await DuckDBInstance.create(':memory:', { threads: '1' });
const con = await db.connect();

async function writeParquet(file, cols, rows) {
  const names = cols.map(([n]) => `"${n}"`).join(', ');
  // Build a table in slices (keeps each statement small), then COPY it out once.
  await con.run(`DROP TABLE IF EXISTS t`);
  await con.run(`CREATE TABLE t (${cols.map(([n, ty]) => `"${n}" ${ty}`).join(', ')})`);
  for (let i = 0; i < rows.length; i += 200) {
    const values = rows
      .slice(i, i + 200)
      .map((r) => `(${r.map((v, j) => lit(v, cols[j][1])).join(', ')})`)
      .join(',\n');
    await con.run(`INSERT INTO t (${names}) VALUES ${values}`);
  }
  const p = path.join(OUT, file);
  const tmp = path.join(OUT, `.${file}.tmp`);
  fs.rmSync(tmp, { force: true });
  await con.run(`COPY (SELECT * FROM t ORDER BY rowid) TO '${tmp}' (FORMAT parquet, COMPRESSION zstd)`);
  fs.renameSync(tmp, p);
  // read back: row count, schema
  const r = await con.runAndReadAll(`SELECT count(*) AS n FROM read_parquet('${p}')`);
  const n = Number(r.getRowObjectsJS()[0].n);
  if (n !== rows.length) throw new Error(`${file}: wrote ${rows.length} rows, read ${n}`);
  const desc = (await con.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${p}')`)).getRowObjectsJS();
  console.log(`${file}: ${n} rows, ${fs.statSync(p).size} bytes, ${desc.map((c) => `${c.column_name} ${c.column_type}`).join(', ')}`);
}

// ---------------------------------------------------------------- token embeddings

const D = 32;
const rnd = prng(20240601);

// A small vocabulary in four topics plus function words. Each word has its own random unit
// vector; topic words also lean towards their topic's direction, so same-topic tokens are
// similar (cosine ~0.3-0.5) and attention has something to find.
const topics = {
  weather: ['rain', 'cloud', 'storm', 'wind', 'sunny', 'forecast', 'cold', 'warm', 'snow', 'humid', 'thunder', 'breeze', 'fog', 'temperature', 'sky'],
  finance: ['market', 'stock', 'price', 'bank', 'rate', 'inflation', 'bond', 'profit', 'loss', 'investor', 'trade', 'credit', 'fund', 'dividend', 'currency'],
  sports: ['team', 'match', 'goal', 'score', 'player', 'coach', 'season', 'league', 'win', 'referee', 'stadium', 'final', 'transfer', 'injury', 'fans'],
  cooking: ['pan', 'oven', 'salt', 'butter', 'garlic', 'onion', 'recipe', 'bake', 'stir', 'flour', 'sauce', 'pepper', 'simmer', 'dough', 'taste'],
};
const functionWords = ['the', 'a', 'of', 'and', 'to', 'in', 'is', 'was', 'on', 'for', 'with', 'it', 'that', 'this', 'after', 'before', 'very', 'not', ','];
const topicNames = Object.keys(topics);
const topicVec = Object.fromEntries(topicNames.map((t) => [t, randUnit(rnd, D)]));
const wordVec = {};
for (const t of topicNames) {
  for (const w of topics[t]) {
    const own = randUnit(rnd, D);
    wordVec[w] = norm(own.map((x, i) => 0.8 * x + 0.6 * topicVec[t][i]));
  }
}
for (const w of [...functionWords, '[CLS]', '[SEP]', '.']) wordVec[w] = randUnit(rnd, D);

// sinusoidal position code (as in Transformers), scaled small
const posCode = (p) =>
  Array.from({ length: D }, (_, i) => {
    const f = Math.pow(10000, -(2 * Math.floor(i / 2)) / D);
    return i % 2 === 0 ? Math.sin(p * f) : Math.cos(p * f);
  });

function sentence(r, topic, n) {
  // n tokens in all: [CLS] ... . [SEP]
  const toks = ['[CLS]'];
  while (toks.length < n - 2) {
    const u = r();
    if (u < 0.4) toks.push(functionWords[Math.floor(r() * functionWords.length)]);
    else {
      const t = r() < 0.85 ? topic : topicNames[Math.floor(r() * topicNames.length)];
      toks.push(topics[t][Math.floor(r() * topics[t].length)]);
    }
  }
  toks.push('.', '[SEP]');
  return toks.slice(0, n);
}

function embed(r, tok, p) {
  const pc = posCode(p);
  const v = wordVec[tok].map((x, i) => x + 0.15 * pc[i] + 0.05 * gauss(r));
  // unit-ish: norms spread a little around 1
  const scale = 1 + 0.1 * gauss(r);
  return f32(norm(v).map((x) => Number((x * scale).toPrecision(7))));
}

function makeSequences(r, count, prefix) {
  const seqs = [];
  for (let s = 0; s < count; s++) {
    const topic = topicNames[s % topicNames.length];
    const n = 5 + Math.floor(r() * 56); // 5..60
    const toks = sentence(r, topic, n);
    seqs.push({ id: `${prefix}${String(s).padStart(3, '0')}`, topic, toks, emb: toks.map((t, p) => embed(r, t, p)) });
  }
  return seqs;
}

{
  const r = prng(1);
  const seqs = makeSequences(r, 40, 'doc-');
  const rows = [];
  for (const s of seqs) s.toks.forEach((t, p) => rows.push([s.id, p, t, s.emb[p]]));
  await writeParquet(
    'tokens.parquet',
    [
      ['sequence_id', 'VARCHAR'],
      ['position', 'INTEGER'],
      ['token', 'VARCHAR'],
      ['embedding', 'FLOAT[]'],
    ],
    rows,
  );
}
{
  const r = prng(2);
  const seqs = makeSequences(r, 20, 'para-');
  await writeParquet(
    'tokens_nested.parquet',
    [
      ['sequence_id', 'VARCHAR'],
      ['topic', 'VARCHAR'],
      ['tokens', 'VARCHAR[]'],
      ['embedding', 'FLOAT[][]'],
    ],
    seqs.map((s) => [s.id, s.topic, s.toks, s.emb]),
  );
}

// ---------------------------------------------------------------- sensors

{
  const r = prng(3);
  const T0 = Date.UTC(2024, 5, 1) * 1000; // 2024-06-01 00:00:00 UTC, microseconds
  const S = 1_000_000;
  const round = (x, k) => Number(x.toFixed(k));
  const rows = [];
  const regular = (id, n, step, f) => {
    for (let i = 0; i < n; i++) rows.push([id, T0 + i * step, f(i)]);
  };
  // greenhouse temperature: slow cycle + noise, 1 min
  regular('greenhouse/temp_c', 360, 60 * S, (i) => round(21 + 4 * Math.sin((2 * Math.PI * i) / 240) + 0.2 * gauss(r), 2));
  // humidity, anti-correlated, 1 min
  regular('greenhouse/humidity_pct', 360, 60 * S, (i) => round(55 - 8 * Math.sin((2 * Math.PI * i) / 240) + 0.8 * gauss(r), 1));
  // pump pressure: irregular sampling (report on change), a step at ~40% of the series
  {
    let t = T0;
    for (let i = 0; i < 300; i++) {
      const base = i < 120 ? 310 : 345;
      rows.push(['pump/pressure_kpa', t, round(base + 6 * Math.sin(i / 9) + 1.5 * gauss(r), 2)]);
      t += Math.round((2 + -Math.log(1 - r()) * 70) * 1000) * 1000; // 2 s + exponential(70 s), whole ms
    }
  }
  // pump power: 30 s, a NULL run (logger outage), single NaNs (bad reads) and a NaN run
  regular('pump/power_w', 400, 30 * S, (i) => {
    if (i >= 100 && i < 112) return null;
    if (i === 37 || i === 205 || i === 318) return NAN;
    if (i >= 260 && i < 265) return NAN;
    return round(1200 + 150 * Math.sin(i / 25) + (i % 90 < 10 ? 400 : 0) + 20 * gauss(r), 1);
  });
  // wind: gusty AR(1), 1 min
  {
    let x = 0;
    regular('roof/wind_ms', 360, 60 * S, () => {
      x = 0.9 * x + gauss(r);
      return round(Math.abs(4 + 0.8 * x), 2);
    });
  }
  // vibration: 10 s, noise with a burst
  regular('basement/vibration_g', 300, 10 * S, (i) =>
    round(0.02 * gauss(r) + (i >= 150 && i < 170 ? 0.3 * Math.sin(i * 1.7) * Math.exp(-(i - 150) / 8) : 0), 4),
  );
  await writeParquet(
    'sensors.parquet',
    [
      ['series_id', 'VARCHAR'],
      ['timestamp', 'TIMESTAMP'],
      ['value', 'DOUBLE'],
    ],
    rows,
  );
}
