// bigfile.mjs writes the large input of the object-storage read tests and
// benchmark with DuckDB's default Parquet writer (snappy, row groups of
// 122,880 rows unless told), as a user's DuckDB step would:
//
//   node bigfile.mjs OUT.parquet [series=200] [points=20000] [row_group_size]
//
// series x points rows (series_id VARCHAR, timestamp TIMESTAMP, value
// DOUBLE: seeded random walks), ORDER BY series_id, timestamp.
import { DuckDBInstance } from '@duckdb/node-api';

const [out, series = '200', points = '20000', rgs = ''] = process.argv.slice(2);
if (!out) {
  console.error('usage: node bigfile.mjs OUT.parquet [series] [points] [row_group_size]');
  process.exit(2);
}
const q = (s) => `'${s.replaceAll("'", "''")}'`;
const con = await (await DuckDBInstance.create(':memory:')).connect();
// setseed makes random() deterministic for one thread.
await con.run(`SET threads = 1; SELECT setseed(0.25)`);
await con.run(`CREATE TABLE t AS
  SELECT 'series-' || lpad(s::VARCHAR, 4, '0') AS series_id,
         TIMESTAMP '2026-01-01' + to_seconds(p * 60) AS timestamp,
         sum(random() - 0.5) OVER (PARTITION BY s ORDER BY p) AS value
  FROM range(${Number(series)}) r(s), range(${Number(points)}) q(p)`);
const opts = rgs ? `, ROW_GROUP_SIZE ${Number(rgs)}` : '';
await con.run(`COPY (SELECT * FROM t ORDER BY series_id, timestamp) TO ${q(out)} (FORMAT parquet${opts})`);
