// duckdb_bench.mjs: the data and the DuckDB reference of bench.sh.
//
//   node duckdb_bench.mjs gen DIR [series=200] [points=50000]
//       writes DIR/interleaved.parquet (series x points float64 random walks, ORDER BY
//       timestamp: every series' rows interleave) and DIR/grouped.parquet (the same rows,
//       ORDER BY series_id, timestamp), with DuckDB's default writer settings.
//   node duckdb_bench.mjs sort IN.parquet OUT.parquet [threads=2]
//       the grouping step a user would otherwise run first: COPY (... ORDER BY series_id,
//       timestamp) into a new file; prints "sort_seconds <wall>" (node start-up excluded).
import { DuckDBInstance } from '@duckdb/node-api';
import fs from 'node:fs';
import path from 'node:path';

const [cmd, a, b, c = '', d = ''] = process.argv.slice(2);
const q = (s) => `'${s.replaceAll("'", "''")}'`;

if (cmd === 'gen') {
  const series = Number(b || 200), points = Number(c || 50000);
  fs.mkdirSync(a, { recursive: true });
  const con = await (await DuckDBInstance.create(':memory:')).connect();
  // setseed makes random() deterministic for one thread.
  await con.run(`SET threads = 1; SELECT setseed(0.5)`);
  await con.run(`CREATE TABLE t AS
    SELECT 'series-' || lpad(s::VARCHAR, 3, '0') AS series_id,
           TIMESTAMP '2026-01-01' + to_seconds(p * 60 + s) AS timestamp,
           sum(random() - 0.5) OVER (PARTITION BY s ORDER BY p) AS value
    FROM range(${series}) r(s), range(${points}) q(p)`);
  await con.run(`COPY (SELECT * FROM t ORDER BY timestamp) TO ${q(path.join(a, 'interleaved.parquet'))} (FORMAT parquet)`);
  await con.run(`COPY (SELECT * FROM t ORDER BY series_id, timestamp) TO ${q(path.join(a, 'grouped.parquet'))} (FORMAT parquet)`);
  console.log('wrote', path.join(a, 'interleaved.parquet'), path.join(a, 'grouped.parquet'));
} else if (cmd === 'sort') {
  const con = await (await DuckDBInstance.create(':memory:', { threads: c || '2' })).connect();
  fs.rmSync(b, { force: true });
  const t0 = process.hrtime.bigint();
  await con.run(`COPY (SELECT * FROM read_parquet(${q(a)}) ORDER BY series_id, timestamp) TO ${q(b)} (FORMAT parquet)`);
  console.log(`sort_seconds ${(Number(process.hrtime.bigint() - t0) / 1e9).toFixed(3)}`);
} else {
  console.error('usage: node duckdb_bench.mjs gen DIR [series] [points] | sort IN OUT [threads]');
  process.exit(2);
}
