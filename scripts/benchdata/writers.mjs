// writers.mjs: scripts/bench's inputs as other tools write them. Reads a file that
// scripts/benchdata (the generator) wrote and writes the SAME rows, in the same order, with
// DuckDB's or polars' default settings, as a new user would write them:
//
//   node scripts/benchdata/writers.mjs duckdb IN.parquet OUT.parquet [row_group_size]
//   node scripts/benchdata/writers.mjs polars IN.parquet OUT.parquet
//   node scripts/benchdata/writers.mjs digest 'DIR/*.parquet'
//
// duckdb: COPY (SELECT * FROM read_parquet(IN)) TO OUT (FORMAT parquet), nothing else set
//   (DuckDB 1.5.6: row groups of up to 122,880 rows, snappy, data pages v1, 3-level LIST);
//   row_group_size adds ROW_GROUP_SIZE n, for the same writer's file cut in smaller row groups
//   (the `rowgroups` workload). Insertion order is preserved (DuckDB's default).
// polars: readParquet(IN).writeParquet(OUT) with no options (nodejs-polars 0.25.2).
// digest: prints "rows N digest H", H an order-independent sum of DuckDB's hash of every row
//   (all columns, values only: nullability and encodings do not change it), so that the outputs
//   of one workload on the same rows from different writers can be compared.
// The file is written to OUT.tmp and renamed, so an interrupted run leaves no OUT. Prints the
// writer's version. Install: cd scripts/benchdata && npm ci (versions pinned in package-lock.json).
import fs from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const usage = () => {
  console.error('usage: node writers.mjs duckdb IN.parquet OUT.parquet [row_group_size]\n' +
    '       node writers.mjs polars IN.parquet OUT.parquet\n' +
    "       node writers.mjs digest 'DIR/*.parquet'");
  process.exit(2);
};

const q = (s) => `'${s.replaceAll("'", "''")}'`;
const [writer, input, out, rgArg] = process.argv.slice(2);
if (writer === 'digest' && input) {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const inst = await DuckDBInstance.create(':memory:');
  const con = await inst.connect();
  const r = await con.runAndReadAll(
    `SELECT count(*), sum(hash(t)::HUGEINT) FROM read_parquet(${q(input)}) t`);
  const [n, h] = r.getRows()[0];
  console.log(`rows ${n} digest ${h}`);
  process.exit(0);
}
if (!input || !out || !fs.existsSync(input)) usage();
const tmp = `${out}.tmp`;
fs.rmSync(tmp, { force: true });

if (writer === 'duckdb') {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const inst = await DuckDBInstance.create(':memory:');
  const con = await inst.connect();
  let opts = 'FORMAT parquet';
  if (rgArg !== undefined) {
    const n = Number(rgArg);
    if (!Number.isInteger(n) || n <= 0) usage();
    opts += `, ROW_GROUP_SIZE ${n}`;
  }
  await con.run(`COPY (SELECT * FROM read_parquet(${q(input)})) TO ${q(tmp)} (${opts})`);
  const v = await con.runAndReadAll('SELECT version()');
  console.log(`duckdb ${v.getRows()[0][0]}: COPY ... TO (${opts})`);
} else if (writer === 'polars') {
  if (rgArg !== undefined) usage();
  const pl = require('nodejs-polars');
  pl.readParquet(input).writeParquet(tmp);
  const { version } = require('nodejs-polars/package.json');
  console.log(`nodejs-polars ${version}: readParquet(IN).writeParquet(OUT)`);
} else {
  usage();
}
fs.renameSync(tmp, out);
