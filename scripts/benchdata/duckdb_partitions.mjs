// duckdb_partitions.mjs: the many-small-files workload of scripts/bench. DuckDB writes a
// long-layout time-series table (series_id, timestamp, value) as hive partitions with
// `COPY ... (FORMAT parquet, PARTITION_BY (day))` and its default settings, one directory
// day=YYYY-MM-DD/ per day; then, as the reference, reads them all back (hive partitioning)
// and writes them partitioned again, timed inside one process (instance creation and node
// start-up excluded). @duckdb/node-api comes from scripts/benchdata (cd scripts/benchdata && npm
// ci; pinned in package-lock.json).
//
//   node scripts/benchdata/duckdb_partitions.mjs make DIR [days=2000] [series=16] [points=96]
//   node scripts/benchdata/duckdb_partitions.mjs copy IN OUTDIR [runs=5] [threads=2]
//
// make: DIR/day=.../data_0.parquet, `days` partitions of `series` series of `points`
// readings each (every 1440/points minutes), rows sorted by series_id then timestamp within a
// day, values a deterministic sum of sines (one thread, so the files are the same every time).
// copy: prints one line per run, "copy_seconds <wall> cpu_seconds <user+system of the whole
// process, all threads>", then the DuckDB version. The output is written with zstd, as ours.
import { DuckDBInstance } from '@duckdb/node-api';
import fs from 'node:fs';
import path from 'node:path';

const q = (s) => `'${s.replaceAll("'", "''")}'`;
const usage = () => {
  console.error('usage: node duckdb_partitions.mjs make DIR [days] [series] [points]\n' +
    '       node duckdb_partitions.mjs copy IN OUTDIR [runs] [threads]');
  process.exit(2);
};

const [mode, ...rest] = process.argv.slice(2);
if (mode === 'make') {
  const [dir, days = '2000', series = '16', points = '96'] = rest;
  if (!dir) usage();
  const step = 1440 / Number(points);
  if (!Number.isInteger(step)) {
    console.error(`points must divide 1440 (minutes a day), got ${points}`);
    process.exit(2);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  const inst = await DuckDBInstance.create(':memory:', { threads: '1' });
  const con = await inst.connect();
  await con.run(`CREATE TABLE readings AS
    SELECT DATE '2020-01-01' + d::INTEGER AS day,
           'sensor-' || lpad(s::VARCHAR, 4, '0') AS series_id,
           TIMESTAMP '2020-01-01' + to_minutes((d * 1440 + p * ${step})::BIGINT) AS timestamp,
           sin(0.05 * (d * ${points} + p) + s) + 0.3 * sin(1.7 * p + 0.9 * s) + 0.01 * s AS value
    FROM range(${Number(days)}) t1(d), range(${Number(series)}) t2(s), range(${Number(points)}) t3(p)
    ORDER BY day, series_id, timestamp`);
  await con.run(`COPY readings TO ${q(dir)} (FORMAT parquet, PARTITION_BY (day))`);
  const v = await con.runAndReadAll('SELECT version()');
  console.log(`duckdb ${v.getRows()[0][0]}: ${days} partitions x ${series} series x ${points} points in ${dir}`);
} else if (mode === 'copy') {
  const [input, outDir, runsArg = '5', threads = '2'] = rest;
  if (!input || !outDir) usage();
  const inst = await DuckDBInstance.create(':memory:', { threads });
  const con = await inst.connect();
  const glob = path.join(input, '**', '*.parquet');
  for (let i = 0; i < Number(runsArg); i++) {
    fs.rmSync(outDir, { recursive: true, force: true });
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    await con.run(`COPY (SELECT * FROM read_parquet(${q(glob)}, hive_partitioning = true))
      TO ${q(outDir)} (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (day))`);
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    const c = process.cpuUsage(c0);
    console.log(`copy_seconds ${s.toFixed(3)} cpu_seconds ${((c.user + c.system) / 1e6).toFixed(3)}`);
  }
  fs.rmSync(outDir, { recursive: true, force: true });
  const v = await con.runAndReadAll('SELECT version()');
  console.log(`duckdb ${v.getRows()[0][0]} threads=${threads}`);
} else {
  usage();
}
