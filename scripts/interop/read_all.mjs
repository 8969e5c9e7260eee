// read_all.mjs: does DuckDB read these Parquet files whole? For each path (arguments, or one
// per line on stdin) it materializes every column of every row with read_parquet and prints one
// JSON line: {"file": ..., "ok": true, "rows": n} or {"file": ..., "ok": false, "error": ...}.
// Used by scripts/mutate to check that every exit-0 output of a mutated input is readable.
//
// Usage: node scripts/interop/read_all.mjs FILE... | node scripts/interop/read_all.mjs < list
import { DuckDBInstance } from '@duckdb/node-api';
import fs from 'node:fs';

let files = process.argv.slice(2);
if (files.length === 0) {
  files = fs.readFileSync(0, 'utf8').split('\n').filter((l) => l.trim() !== '');
}
const db = await (await DuckDBInstance.create(':memory:')).connect();
await db.run("SET threads = 1");
for (const file of files) {
  const q = file.replaceAll("'", "''");
  try {
    // Hash every column so DuckDB decodes every page (count(*) alone may not).
    const r = await db.runAndReadAll(
      `SELECT count(*) AS n, sum(hash(COLUMNS(*))) FROM read_parquet('${q}')`);
    const row = r.getRowObjectsJS()[0];
    console.log(JSON.stringify({ file, ok: true, rows: Number(row.n) }));
  } catch (e) {
    console.log(JSON.stringify({ file, ok: false, error: String(e.message ?? e).slice(0, 500) }));
  }
}
