// wide_passthrough.mjs writes a long-layout table whose widest columns are ones contextualize
// passes through unchanged, as DuckDB does with its defaults (zstd, row groups of 122,880 rows)
// except ROW_GROUP_SIZE 1000000: every row lands in ONE row group, as pyarrow and arrow-rs
// (1Mi-row cap) write ROWS rows. Columns: sequence_id (BIGINT), position (INTEGER), value
// (DOUBLE, the column smoothed), then payload (VARCHAR of PAYLOAD hex characters, ~4 bits of
// entropy each, so zstd halves it). The input of the peak-RSS test of pass-through chunks
// (cmd/contextualize/passthrough_rss_linux_test.go, scripts/rss): the value column is small,
// the payload chunk alone is larger than --memory-limit.
//
//   node scripts/interop/wide_passthrough.mjs OUT.parquet [rows=200000] [payload=1024] [seq_len=256]
//
// Values are closed-form (sin/cos and md5 of the row), so the file is the same every run.
import { DuckDBInstance } from '@duckdb/node-api';

const [out, rowsArg = '200000', payloadArg = '1024', seqArg = '256'] = process.argv.slice(2);
if (!out) {
  console.error('usage: node wide_passthrough.mjs OUT.parquet [rows] [payload] [seq_len]');
  process.exit(2);
}
const rows = Number(rowsArg), payload = Number(payloadArg), seq = Number(seqArg);
const q = (s) => `'${s.replaceAll("'", "''")}'`;
const hashes = Math.ceil(payload / 32);
const inst = await DuckDBInstance.create(':memory:', { threads: '2' });
const con = await inst.connect();
await con.run(`COPY (
  SELECT i // ${seq} AS sequence_id, (i % ${seq})::INTEGER AS position,
         sin(0.0137 * i) * 10 + cos(0.71 * i) AS value,
         left(array_to_string(list_transform(range(${hashes}), k -> md5((i * ${hashes} + k)::VARCHAR)), ''), ${payload}) AS payload
  FROM range(${rows}) t(i)
) TO ${q(out)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 1000000)`);
const r = await con.runAndReadAll(`SELECT count(DISTINCT row_group_id), max(total_compressed_size) FILTER (WHERE path_in_schema = 'payload') FROM parquet_metadata(${q(out)})`);
const [groups, chunk] = r.getRows()[0];
console.log(`wrote ${out}: ${rows} rows, payload of ${payload} characters, row groups: ${groups}, payload chunk: ${chunk} bytes`);
