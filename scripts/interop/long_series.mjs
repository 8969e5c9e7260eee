// long_series.mjs writes a long-layout table of SERIES series of ROWS rows in all, as DuckDB
// does by default (row groups of 122,880 rows, zstd): series_id (VARCHAR), position (BIGINT,
// ascending with gaps: p + p // 7) and, with D = 1, value (DOUBLE, NaN at every NAN_EVERY-th
// row when NAN_EVERY > 0), else embedding (FLOAT[D]). The input of the tests of sequences
// longer than the memory limit (cmd/contextualize/longseq_test.go, scripts/rss).
// SERIES 0 writes one series without a series_id column. ROW_GROUP_SIZE > 0 sets DuckDB's
// ROW_GROUP_SIZE: ROWS of it writes ONE row group, as pyarrow
// (1Mi rows) or Spark (128 MB) write large ones (cmd/contextualize/keyseg_rss_linux_test.go).
//
//   node scripts/interop/long_series.mjs OUT.parquet [rows=1000000] [d=1] [series=1] [nan_every=0] [row_group_size=0]
//
// Values are closed-form (sin/cos of the row), so the file is the same every run.
import { DuckDBInstance } from '@duckdb/node-api';

const [out, rowsArg = '1000000', dArg = '1', seriesArg = '1', nanArg = '0', rgArg = '0'] = process.argv.slice(2);
if (!out) {
  console.error('usage: node long_series.mjs OUT.parquet [rows] [d] [series] [nan_every] [row_group_size]');
  process.exit(2);
}
const rows = Number(rowsArg), d = Number(dArg), series = Number(seriesArg), nan = Number(nanArg), rg = Number(rgArg);
const rgOption = rg > 0 ? `, ROW_GROUP_SIZE ${rg}` : '';
const per = Math.ceil(rows / Math.max(series, 1));
const id = series > 0 ? `'s' || lpad((i // ${per})::VARCHAR, 4, '0') AS series_id, ` : ''; // series 0: no id column
const q = (s) => `'${s.replaceAll("'", "''")}'`;
const x = `(sin(0.0137 * i) * 10 + cos(0.71 * i))`;
const value = d === 1
  ? `CASE WHEN ${nan} > 0 AND i % ${nan} = 5 THEN 'nan'::DOUBLE ELSE ${x} END AS value`
  : `list_transform(range(${d}), c -> (sin(0.37 * i + 1.13 * c) * cos(0.011 * i - 0.29 * c))::FLOAT)::FLOAT[${d}] AS embedding`;
const inst = await DuckDBInstance.create(':memory:', { threads: '2' });
const con = await inst.connect();
await con.run(`COPY (
  SELECT ${id}(i % ${per}) + (i % ${per}) // 7 AS position, ${value}
  FROM range(${rows}) t(i) ORDER BY i
) TO ${q(out)} (FORMAT parquet, COMPRESSION zstd${rgOption})`);
const r = await con.runAndReadAll(`SELECT count(DISTINCT row_group_id) FROM parquet_metadata(${q(out)})`);
console.log(`wrote ${out}: ${rows} rows x ${d} in ${series} series, row groups: ${r.getRows()[0][0]}`);
