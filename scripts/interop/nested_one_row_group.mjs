// nested_one_row_group.mjs writes a nested-layout table, one row per sequence, as DuckDB does
// with one row group (ROW_GROUP_SIZE 1000000, as pyarrow and arrow-rs cap theirs at 1Mi rows),
// zstd: sequence_id (BIGINT) and embedding (FLOAT[][]: a list of SEQ_LEN + (row % 7) vectors of
// D float32, so the rows are not all the same length). The input of the peak-RSS test of the
// nested layout (cmd/contextualize/nested_rss_linux_test.go, scripts/rss).
//
//   node scripts/interop/nested_one_row_group.mjs OUT.parquet [sequences=400] [d=384] [seq_len=256]
//
// Values are closed-form (sin/cos of row, element and component), so the file is the same every run.
import { DuckDBInstance } from '@duckdb/node-api';

const [out, seqsArg = '400', dArg = '384', lenArg = '256'] = process.argv.slice(2);
if (!out) {
  console.error('usage: node nested_one_row_group.mjs OUT.parquet [sequences] [d] [seq_len]');
  process.exit(2);
}
const seqs = Number(seqsArg), d = Number(dArg), len = Number(lenArg);
const q = (s) => `'${s.replaceAll("'", "''")}'`;
const inst = await DuckDBInstance.create(':memory:', { threads: '2' });
const con = await inst.connect();
const span = len + 6;
await con.run(`COPY (
  SELECT sequence_id, list(vec ORDER BY j) AS embedding FROM (
    SELECT i // ${span} AS sequence_id, i % ${span} AS j,
           list_transform(range(${d}), c -> (sin(0.37 * i + 1.13 * c) * cos(0.11 * i - 0.29 * c))::FLOAT) AS vec
    FROM range(${seqs * span}) t(i)
    WHERE i % ${span} < ${len} + (i // ${span}) % 7
  ) GROUP BY sequence_id ORDER BY sequence_id
) TO ${q(out)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 1000000)`);
const r = await con.runAndReadAll(`SELECT count(DISTINCT row_group_id) AS row_groups FROM parquet_metadata(${q(out)})`);
console.log(`wrote ${out}: ${seqs} sequences of ${len}+ x ${d}, row groups: ${r.getRows()[0][0]}`);
