// one_row_group.mjs writes a long-layout table of ROWS x D float32 embeddings as DuckDB does
// with one row group (ROW_GROUP_SIZE 1000000, as pyarrow and arrow-rs cap theirs at 1Mi
// rows), zstd, sequences of SEQ_LEN rows: the input of the peak-RSS tests for streaming
// below the row group (cmd/contextualize/stream_rss_linux_test.go, scripts/rss).
//
//   node scripts/interop/one_row_group.mjs OUT.parquet [rows=100000] [d=384] [seq_len=256]
//
// Values are closed-form (sin/cos of row and component), so the file is the same every run.
import { DuckDBInstance } from '@duckdb/node-api';

const [out, rowsArg = '100000', dArg = '384', seqArg = '256'] = process.argv.slice(2);
if (!out) {
  console.error('usage: node one_row_group.mjs OUT.parquet [rows] [d] [seq_len]');
  process.exit(2);
}
const rows = Number(rowsArg), d = Number(dArg), seq = Number(seqArg);
const q = (s) => `'${s.replaceAll("'", "''")}'`;
const inst = await DuckDBInstance.create(':memory:', { threads: '2' });
const con = await inst.connect();
await con.run(`COPY (
  SELECT i // ${seq} AS sequence_id, (i % ${seq})::INTEGER AS position,
         list_transform(range(${d}), c -> (sin(0.37 * i + 1.13 * c) * cos(0.11 * i - 0.29 * c))::FLOAT)::FLOAT[${d}] AS embedding
  FROM range(${rows}) t(i)
) TO ${q(out)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 1000000)`);
const r = await con.runAndReadAll(`SELECT count(*) AS row_groups, max(num_values) AS values FROM parquet_metadata(${q(out)}) WHERE path_in_schema LIKE 'embedding%'`);
console.log(`wrote ${out}: ${rows} rows x ${d}, row groups: ${r.getRows()[0][0]}`);
