// duckdb_copy.mjs: the I/O reference of scripts/bench. DuckDB reads a Parquet file and
// writes it back with zstd, the same read + write that `contextualize smooth --radius 0`
// does, timed inside one process (instance creation and node start-up excluded).
//
//   node scripts/benchdata/duckdb_copy.mjs IN.parquet OUTDIR [runs=3] [threads=2]
//
// Prints one line per run: "copy_seconds <wall> cpu_seconds <user+system of the whole process,
// all threads>", then the DuckDB version. @duckdb/node-api
// comes from scripts/benchdata (cd scripts/benchdata && npm ci; pinned in package-lock.json).
import { DuckDBInstance } from '@duckdb/node-api';
import fs from 'node:fs';
import path from 'node:path';

const [input, outDir, runsArg = '3', threads = '2'] = process.argv.slice(2);
if (!input || !outDir) {
  console.error('usage: node duckdb_copy.mjs IN.parquet OUTDIR [runs] [threads]');
  process.exit(2);
}
fs.mkdirSync(outDir, { recursive: true });
const q = (s) => `'${s.replaceAll("'", "''")}'`;

const inst = await DuckDBInstance.create(':memory:', { threads });
const con = await inst.connect();
for (let i = 0; i < Number(runsArg); i++) {
  const out = path.join(outDir, `duckdb_copy_${i}.parquet`);
  fs.rmSync(out, { force: true });
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await con.run(`COPY (SELECT * FROM read_parquet(${q(input)})) TO ${q(out)} (FORMAT parquet, COMPRESSION zstd)`);
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  console.log(`copy_seconds ${s.toFixed(3)} cpu_seconds ${((c.user + c.system) / 1e6).toFixed(3)}`);
  fs.rmSync(out, { force: true });
}
const v = await con.runAndReadAll('SELECT version()');
console.log(`duckdb ${v.getRows()[0][0]} threads=${threads}`);
