// check_outputs.mjs: DuckDB reads contextualize's outputs with the right values and every
// passthrough column intact. Driven by check_outputs.sh (which builds the CLI and runs it);
// DuckDB (@duckdb/node-api, pinned in package-lock.json) is the independent reader.
//
//   node check_outputs.mjs --list-fixtures MANIFEST   good long/nested fixtures, one per line:
//                                                     file, value column, sequence, order ("-": none)
//   node check_outputs.mjs --check RUNS.tsv           check every run listed (see check_outputs.sh)
//
// Per run (input, output), everything read by DuckDB, rows matched by file_row_number:
//   tool exit code 0; output exists; same row count; same column names in the same order (plus
//   --output-column at the end); same DuckDB types (the value type kept: FLOAT stays FLOAT);
//   (--output-type: the value type widened as asked); every non-value column equal row by row (typed IS DISTINCT FROM, and its VARCHAR text so
//   -0.0 vs 0.0 and timestamp precision count; NaN = NaN, NULL = NULL);
//   kind identity (smooth --radius 0): the value column equal to the input's exactly, element by
//   element (NaN, NULL and the sign of zero included);
//   kind smooth (--sigma 2, radius 8) / attend: NULL exactly where the input is NULL, same list
//   lengths (vectors keep d), numbers finite wherever the input is finite (smooth: within the
//   kernel's radius, per channel, in sequence order; attend: in the whole sequence), and some
//   value actually changed; smooth: equal to a JS Gaussian (scipy reflect mode) on the sequences
//   with no missing value, within 32 eps max|x| (float64) or 2^-23 max|x| (float32);
//   key-value metadata holds contextualize.fingerprint; compression as asked; row groups as the
//   input's, or at most --row-group-rows; _SUCCESS exists, is JSON and lists the output with its
//   rows, bytes and the file's fingerprint.
// Prints one line per check, then "N passed, M failed"; exits 1 on any failure.

import { DuckDBInstance } from '@duckdb/node-api';
import fs from 'node:fs';
import path from 'node:path';

const SMOOTH_SIGMA = 2; // check_outputs.sh runs smooth --sigma 2 (default truncate 4, mode reflect)
const SMOOTH_RADIUS = 8; // int(4*2 + 0.5)
const MAX_DIFFS = 5; // differences printed per check

const args = process.argv.slice(2);

if (args[0] === '--list-fixtures') {
  const m = JSON.parse(fs.readFileSync(args[1], 'utf8'));
  for (const f of m.files) {
    if (f.error !== null || !['long', 'nested'].includes(f.layout)) continue;
    console.log([f.file, f.value_column, f.sequence_column ?? '-', f.order_column ?? '-'].join('\t'));
  }
  process.exit(0);
}
if (args[0] !== '--check' || !args[1]) {
  console.error('usage: node check_outputs.mjs --list-fixtures MANIFEST | --check RUNS.tsv');
  process.exit(2);
}

const inst = await DuckDBInstance.create(':memory:', { threads: '1' });
const con = await inst.connect();
const q = async (sql) => (await con.runAndReadAll(sql)).getRowObjectsJS();
const lit = (p) => `'${String(p).replaceAll("'", "''")}'`;
const id = (n) => `"${String(n).replaceAll('"', '""')}"`;
const rp = (p) => `read_parquet(${lit(p)}, file_row_number=true)`;

let passed = 0;
let failed = 0;
function report(run, what, problems) {
  if (problems.length === 0) {
    passed++;
    console.log(`ok    ${run}: ${what}`);
    return true;
  }
  failed++;
  console.log(`FAIL  ${run}: ${what}`);
  for (const p of problems.slice(0, MAX_DIFFS)) console.log(`        ${p}`);
  if (problems.length > MAX_DIFFS) console.log(`        ... ${problems.length - MAX_DIFFS} more`);
  return false;
}
// run fn; an exception (DuckDB error, unreadable file) is a failure of that check
async function check(run, what, fn) {
  let problems;
  try {
    problems = await fn();
  } catch (e) {
    problems = [`error: ${String(e?.message ?? e).split('\n')[0]}`];
  }
  return report(run, what, problems);
}

// ------------------------------------------------------------------ value helpers

const isBytes = (v) => v instanceof Uint8Array;
function show(v) {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (typeof v === 'bigint') return `${v}`;
  if (isBytes(v)) return `blob[${v.length}]`;
  if (Array.isArray(v)) {
    const s = v.slice(0, 8).map(show).join(', ');
    return `[${s}${v.length > 8 ? `, ... (${v.length})` : ''}]`;
  }
  return JSON.stringify(v);
}
// exact equality of DuckDB values: numbers by Object.is (NaN = NaN, -0 != 0), lists elementwise,
// blobs bytewise. Differences go to out as "row R[i][j]: expected X, found Y".
function exactDiff(exp, got, where, out) {
  if (exp === null || got === null || exp === undefined || got === undefined) {
    if ((exp ?? null) !== (got ?? null)) out.push(`${where}: expected ${show(exp)}, found ${show(got)}`);
    return;
  }
  if (isBytes(exp) && isBytes(got)) {
    if (Buffer.compare(Buffer.from(exp), Buffer.from(got)) !== 0) out.push(`${where}: expected ${show(exp)} bytes, found other bytes`);
    return;
  }
  if (Array.isArray(exp) && Array.isArray(got)) {
    if (exp.length !== got.length) {
      out.push(`${where}: expected length ${exp.length}, found ${got.length}`);
      return;
    }
    for (let i = 0; i < exp.length; i++) exactDiff(exp[i], got[i], `${where}[${i}]`, out);
    return;
  }
  if (typeof exp === 'number' && typeof got === 'number') {
    if (!Object.is(exp, got)) out.push(`${where}: expected ${show(exp)}, found ${show(got)}`);
    return;
  }
  if (exp !== got) out.push(`${where}: expected ${show(exp)} (${typeof exp}), found ${show(got)} (${typeof got})`);
}
// the numbers of a value as channels: scalar -> [x], vector -> [x0..xd-1]
const finite = (x) => typeof x === 'number' && Number.isFinite(x);

// ------------------------------------------------------------------ per-run checks

async function describe(file) {
  return (await q(`DESCRIBE SELECT * FROM read_parquet(${lit(file)})`)).map((c) => ({
    name: c.column_name,
    type: c.column_type,
  }));
}
async function rowGroups(file) {
  return (
    await q(
      `SELECT row_group_id, any_value(row_group_num_rows) AS n FROM parquet_metadata(${lit(file)}) GROUP BY ALL ORDER BY row_group_id`,
    )
  ).map((r) => Number(r.n));
}
async function kv(file) {
  const rows = await q(`SELECT decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata(${lit(file)})`);
  return Object.fromEntries(rows.map((r) => [r.k, r.v]));
}

const successCache = new Map();

async function checkRun(r) {
  const name = r.name;
  if (
    !report(name, `tool exit code 0 (${r.kind}, ${path.basename(r.input)})`, r.rc === '0' ? [] : [
      `exit code ${r.rc}; log ${r.log}:`,
      ...fs.readFileSync(r.log, 'utf8').trim().split('\n').slice(-6),
    ])
  )
    return;
  if (!report(name, 'output file exists', fs.existsSync(r.output) ? [] : [`missing ${r.output}`])) return;

  const inCols = await describe(r.input);
  let outCols;
  const readable = await check(name, 'DuckDB reads the output (DESCRIBE, count)', async () => {
    outCols = await describe(r.output);
    await q(`SELECT count(*) FROM read_parquet(${lit(r.output)})`);
    return [];
  });
  if (!readable) return;

  const vcol = r.value_column;
  const ocol = r.output_column === '-' ? null : r.output_column;
  const vType = inCols.find((c) => c.name === vcol)?.type;
  const resultCol = ocol ?? vcol; // where the computed values are in the output
  // --output-type widens the result column (DuckDB reads float16 as FLOAT)
  const outType = r.output_type && r.output_type !== '-' ? r.output_type : null;
  const resultType = outType ? vType.replace(/^(FLOAT|DOUBLE)/, outType === 'float64' ? 'DOUBLE' : 'FLOAT') : vType;

  // rows
  const nIn = Number((await q(`SELECT count(*) AS n FROM read_parquet(${lit(r.input)})`))[0].n);
  const nOut = Number((await q(`SELECT count(*) AS n FROM read_parquet(${lit(r.output)})`))[0].n);
  report(name, `row count ${nIn}`, nIn === nOut ? [] : [`${r.output}: expected ${nIn} rows, found ${nOut}`]);

  // columns: names in order, then types
  const wantCols = ocol
    ? [...inCols, { name: ocol, type: resultType }]
    : inCols.map((c) => (c.name === vcol ? { name: c.name, type: resultType } : c));
  report(
    name,
    `column names in order (${wantCols.map((c) => c.name).join(', ')})`,
    JSON.stringify(wantCols.map((c) => c.name)) === JSON.stringify(outCols.map((c) => c.name))
      ? []
      : [`${r.output}: expected columns ${wantCols.map((c) => c.name).join(', ')}; found ${outCols.map((c) => c.name).join(', ')}`],
  );
  const typeProblems = [];
  for (const w of wantCols) {
    const o = outCols.find((c) => c.name === w.name);
    if (o && o.type !== w.type) typeProblems.push(`${r.output}: column ${w.name}: expected type ${w.type}, found ${o.type}`);
  }
  report(name, `column types kept (value ${resultCol}: ${resultType})`, typeProblems);

  // passthrough: every input column except the replaced value column, row by row
  const pass = inCols.filter((c) => (ocol ? true : c.name !== vcol) && outCols.some((o) => o.name === c.name));
  if (pass.length > 0) {
    await check(name, `passthrough columns equal row by row (${pass.map((c) => c.name).join(', ')})`, async () => {
      const diffExpr = (c) =>
        `(a.${id(c)} IS DISTINCT FROM b.${id(c)} OR CAST(a.${id(c)} AS VARCHAR) IS DISTINCT FROM CAST(b.${id(c)} AS VARCHAR))`;
      const rows = await q(
        `SELECT coalesce(a.file_row_number, b.file_row_number) AS r, ` +
          pass.map((c, i) => `${diffExpr(c.name)} AS d${i}, CAST(a.${id(c.name)} AS VARCHAR) AS e${i}, CAST(b.${id(c.name)} AS VARCHAR) AS f${i}`).join(', ') +
          ` FROM ${rp(r.input)} a FULL OUTER JOIN ${rp(r.output)} b ON a.file_row_number = b.file_row_number` +
          ` WHERE a.file_row_number IS NULL OR b.file_row_number IS NULL OR ${pass.map((c) => diffExpr(c.name)).join(' OR ')}` +
          ` ORDER BY r LIMIT 50`,
      );
      const out = [];
      for (const row of rows) {
        pass.forEach((c, i) => {
          if (row[`d${i}`] !== false)
            out.push(`${path.basename(r.output)}: column ${c.name}, row ${row.r}: expected ${row[`e${i}`] ?? 'NULL'}, found ${row[`f${i}`] ?? 'NULL'}`);
        });
      }
      return out;
    });
  }

  // values
  const inVals = (await q(`SELECT ${id(vcol)} AS v FROM ${rp(r.input)} ORDER BY file_row_number`)).map((x) => x.v);
  let outVals;
  const valuesRead = await check(name, `DuckDB reads the values of ${resultCol}`, async () => {
    outVals = (await q(`SELECT ${id(resultCol)} AS v FROM ${rp(r.output)} ORDER BY file_row_number`)).map((x) => x.v);
    return outVals.length === inVals.length ? [] : [`expected ${inVals.length} values, found ${outVals.length}`];
  });
  if (valuesRead) {
    if (r.kind === 'identity') {
      const out = [];
      for (let i = 0; i < inVals.length; i++) exactDiff(inVals[i], outVals[i], `${path.basename(r.output)}: ${resultCol} row ${i}`, out);
      report(name, `${resultCol} equals the input's ${vcol} exactly (radius 0, ${vType})`, out);
    } else {
      await checkComputed(r, name, inCols, vcol, vType, resultCol, inVals, outVals);
    }
  }

  // metadata, compression, row groups
  const meta = await kv(r.output);
  const fp = meta['contextualize.fingerprint'];
  report(name, 'kv metadata has contextualize.fingerprint', fp ? [] : [`${r.output}: keys ${Object.keys(meta).join(', ') || '(none)'}`]);
  // --compression is the codec of the computed column; a passthrough column
  // copied verbatim (row groups as the input's) keeps the input's codec when
  // the tool writes that codec too (SPEC: --compression).
  await check(name, `compression ${r.compression} (computed column; passthrough columns as the input's)`, async () => {
    const outCodecs = await q(`SELECT DISTINCT path_in_schema, compression FROM parquet_metadata(${lit(r.output)})`);
    if (nOut === 0 && outCodecs.length === 0) return [];
    const inCodecs = new Map((await q(`SELECT DISTINCT path_in_schema, compression FROM parquet_metadata(${lit(r.input)})`))
      .map((x) => [String(x.path_in_schema), String(x.compression).toLowerCase()]));
    const computed = ocol ?? vcol;
    const kept = new Set(['uncompressed', 'snappy', 'gzip', 'zstd', 'lz4_raw']);
    const bad = [];
    for (const x of outCodecs) {
      const p = String(x.path_in_schema);
      const got = String(x.compression).toLowerCase();
      const top = p.split(/,\s*|\./)[0];
      let want = r.compression;
      const ic = inCodecs.get(p);
      if (top !== computed && r.row_group_rows === '-' && ic && kept.has(ic)) want = ic;
      if (got !== want) bad.push(`${r.output}: column ${p} compressed ${got}, expected ${want}`);
    }
    return bad;
  });
  await check(name, r.row_group_rows === '-' ? 'row groups as the input' : `row groups of at most ${r.row_group_rows} rows`, async () => {
    const got = await rowGroups(r.output);
    if (r.row_group_rows === '-') {
      const want = await rowGroups(r.input);
      return JSON.stringify(want) === JSON.stringify(got) ? [] : [`${r.output}: expected row groups ${JSON.stringify(want)}, found ${JSON.stringify(got)}`];
    }
    const max = Number(r.row_group_rows);
    const sum = got.reduce((a, b) => a + b, 0);
    const out = [];
    if (got.some((n) => n > max)) out.push(`${r.output}: row groups ${JSON.stringify(got)} exceed ${max}`);
    if (nIn > max && got.length < 2) out.push(`${r.output}: ${nIn} rows in ${got.length} row group(s)`);
    if (sum !== nOut) out.push(`${r.output}: row groups sum to ${sum}, file has ${nOut} rows`);
    return out;
  });

  // _SUCCESS
  const dir = path.dirname(r.output);
  await check(name, '_SUCCESS exists, is JSON and lists the output', async () => {
    const p = path.join(dir, '_SUCCESS');
    if (!fs.existsSync(p)) return [`${p} missing`];
    let m = successCache.get(p);
    if (!m) {
      try {
        m = JSON.parse(fs.readFileSync(p, 'utf8'));
      } catch (e) {
        return [`${p}: not JSON: ${e.message}`];
      }
      successCache.set(p, m);
    }
    const outs = Array.isArray(m.outputs) ? m.outputs : [];
    const rel = path.basename(r.output);
    const e = outs.find((o) => o.path === rel || path.resolve(dir, String(o.path)) === r.output);
    if (!e) return [`${p}: outputs ${JSON.stringify(outs.map((o) => o.path))} do not list ${rel}`];
    const out = [];
    if (Number(e.rows) !== nOut) out.push(`${p}: ${rel} rows ${e.rows}, file has ${nOut}`);
    if (Number(e.bytes) !== fs.statSync(r.output).size) out.push(`${p}: ${rel} bytes ${e.bytes}, file has ${fs.statSync(r.output).size}`);
    if (m.fingerprint !== undefined && fp && m.fingerprint !== fp) out.push(`${p}: fingerprint ${m.fingerprint}, file metadata says ${fp}`);
    return out;
  });
}

// smooth / attend: shape, NULLs, finiteness, something changed
async function checkComputed(r, name, inCols, vcol, vType, resultCol, inVals, outVals) {
  const base = path.basename(r.output);
  const has = (n) => inCols.some((c) => c.name === n);
  const scol = r.sequence_column !== '-' ? r.sequence_column : ['sequence_id', 'series_id'].find(has) ?? null;
  const ocol = r.order_column !== '-' ? r.order_column : ['position', 'timestamp'].find(has) ?? null;
  const nested = vType.endsWith('[][]') || (vType.endsWith('[]') && !ocol);

  // shape: NULL where the input is NULL, same lengths at every level
  const shape = [];
  const shapeDiff = (a, b, where) => {
    if (a === null || b === null) {
      if ((a === null) !== (b === null)) shape.push(`${where}: expected ${a === null ? 'NULL' : 'a value'}, found ${show(b)}`);
      return;
    }
    if (Array.isArray(a)) {
      if (!Array.isArray(b)) return shape.push(`${where}: expected a list of ${a.length}, found ${show(b)}`);
      if (a.length !== b.length) return shape.push(`${where}: expected length ${a.length}, found ${b.length}`);
      a.forEach((x, i) => shapeDiff(x, b[i], `${where}[${i}]`));
      return;
    }
    if (typeof b !== 'number') shape.push(`${where}: expected a number, found ${show(b)}`);
  };
  inVals.forEach((v, i) => shapeDiff(v, outVals[i], `${base}: ${resultCol} row ${i}`));
  report(name, `${resultCol}: NULL where the input is NULL, list lengths kept (d kept)`, shape);

  // sequences: lists of [row, element index or -1], in sequence order
  const seqs = [];
  if (nested) {
    inVals.forEach((v, row) => Array.isArray(v) && seqs.push(v.map((_, k) => [row, k])));
  } else {
    const part = scol ? `PARTITION BY ${id(scol)}` : '';
    const ord = ocol ? `${id(ocol)} NULLS LAST, file_row_number` : 'file_row_number';
    const rows = await q(
      `SELECT file_row_number AS row, CAST(${scol ? id(scol) : "''"} AS VARCHAR) AS s, row_number() OVER (${part} ORDER BY ${ord}) AS i FROM ${rp(r.input)} ORDER BY s, i`,
    );
    let cur = null;
    let key;
    for (const x of rows) {
      if (cur === null || x.s !== key) {
        cur = [];
        seqs.push(cur);
        key = x.s;
      }
      cur.push([Number(x.row), -1]);
    }
  }
  const at = (vals, [row, k]) => (k < 0 ? vals[row] : vals[row]?.[k] ?? null);
  const channels = (v) => (v === null || v === undefined ? null : Array.isArray(v) ? v : [v]);

  const fin = [];
  let changed = 0;
  let compared = 0;
  for (const seq of seqs) {
    const ins = seq.map((p) => channels(at(inVals, p)));
    const outs = seq.map((p) => channels(at(outVals, p)));
    const d = Math.max(0, ...ins.map((x) => (x ? x.length : 0)));
    const allFinite = ins.every((x) => x !== null && x.length === d && x.every(finite));
    for (let i = 0; i < seq.length; i++) {
      if (ins[i] === null || outs[i] === null) continue;
      for (let c = 0; c < d; c++) {
        const y = outs[i][c];
        if (typeof y === 'number' && finite(y) && finite(ins[i][c])) {
          compared++;
          if (y !== ins[i][c]) changed++;
        }
        if (!finite(ins[i][c]) || finite(y)) continue;
        // input finite here, output not: allowed only next to missing input
        let excuse = false;
        if (r.kind === 'smooth') {
          for (let j = Math.max(0, i - SMOOTH_RADIUS); j <= Math.min(seq.length - 1, i + SMOOTH_RADIUS) && !excuse; j++) {
            excuse = ins[j] === null || !finite(ins[j][c]);
          }
        } else {
          excuse = !allFinite;
        }
        if (!excuse) {
          const [row, k] = seq[i];
          fin.push(
            `${base}: ${resultCol} row ${row}${k >= 0 ? `[${k}]` : ''}${d > 1 || Array.isArray(at(inVals, seq[i])) ? `[${c}]` : ''}: input ${show(ins[i][c])} finite${r.kind === 'smooth' ? ` within radius ${SMOOTH_RADIUS}` : ' in the whole sequence'}, found ${show(y)}`,
          );
        }
      }
    }
  }
  report(
    name,
    `${resultCol}: finite where the input is finite (${seqs.length} sequences${r.kind === 'smooth' ? `, radius ${SMOOTH_RADIUS}` : ''})`,
    fin,
  );
  if (r.kind === 'smooth') {
    // independent reference on fully finite sequences: scipy gaussian_filter1d, mode reflect
    const w = [];
    for (let k = -SMOOTH_RADIUS; k <= SMOOTH_RADIUS; k++) w.push(Math.exp((-0.5 * k * k) / (SMOOTH_SIGMA * SMOOTH_SIGMA)));
    const wsum = w.reduce((a, b) => a + b, 0);
    const f32 = vType.startsWith('FLOAT');
    const ref = [];
    let nref = 0;
    let skipped = 0;
    for (const seq of seqs) {
      const ins = seq.map((p) => channels(at(inVals, p)));
      const outs = seq.map((p) => channels(at(outVals, p)));
      const n = seq.length;
      const d = ins[0]?.length ?? 0;
      if (!ins.every((x) => x !== null && x.length === d && x.every(finite))) {
        skipped++;
        continue;
      }
      nref++;
      for (let c = 0; c < d; c++) {
        const maxAbs = Math.max(...ins.map((x) => Math.abs(x[c])));
        const tol = f32 ? maxAbs * 2 ** -23 + 1e-30 : 32 * Number.EPSILON * maxAbs + 1e-300;
        for (let i = 0; i < n; i++) {
          let acc = 0;
          for (let k = -SMOOTH_RADIUS; k <= SMOOTH_RADIUS; k++) {
            let j = (((i + k) % (2 * n)) + 2 * n) % (2 * n); // reflect: d c b a | a b c d | d c b a
            if (j >= n) j = 2 * n - 1 - j;
            acc += (w[k + SMOOTH_RADIUS] / wsum) * ins[j][c];
          }
          const want = f32 ? Math.fround(acc) : acc;
          const y = outs[i]?.[c];
          if (!(typeof y === 'number' && Math.abs(y - want) <= tol)) {
            const [row, kk] = seq[i];
            ref.push(
              `${base}: ${resultCol} row ${row}${kk >= 0 ? `[${kk}]` : ''}${d > 1 ? `[${c}]` : ''}: expected ${show(want)} (tolerance ${tol.toExponential(2)}), found ${show(y)}`,
            );
          }
        }
      }
    }
    report(
      name,
      `${resultCol}: equals a JS Gaussian reference (reflect, sigma ${SMOOTH_SIGMA}, radius ${SMOOTH_RADIUS}) on ${nref} all-finite sequences (${skipped} with missing values skipped)`,
      nref > 0 ? ref : [`no all-finite sequence to compare`],
    );
  }
  report(
    name,
    `${resultCol}: values computed (${changed} of ${compared} finite elements differ from the input)`,
    compared > 0 && changed > 0 ? [] : [`${base}: ${resultCol} is the input unchanged (${changed} of ${compared} differ)`],
  );
}

// ------------------------------------------------------------------ main

const FIELDS = ['name', 'kind', 'rc', 'log', 'input', 'output', 'value_column', 'output_column', 'sequence_column', 'order_column', 'compression', 'row_group_rows', 'output_type'];
const runs = fs
  .readFileSync(args[1], 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => Object.fromEntries(l.split('\t').map((v, i) => [FIELDS[i], v])));
if (runs.length === 0) report('runs', 'at least one tool run', ['no runs listed']);
for (const r of runs) {
  try {
    await checkRun(r);
  } catch (e) {
    report(r.name, 'checks completed', [`error: ${String(e?.stack ?? e).split('\n').slice(0, 3).join(' | ')}`]);
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
