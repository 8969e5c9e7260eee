// Package pipeline schedules the work of a contextualize batch run: it
// expands INPUT arguments into work units, shards them, runs a Processor on
// each with bounded parallelism and memory, commits outputs atomically,
// writes the job manifests, and maps every outcome to an exit code.
//
// # Units
//
// Expand turns files, directories and globs into Units sorted by output path
// (see Expand for the rules); CheckPaths then refuses inputs and output
// locations that overlap, before anything is written. A Unit's Index is its position in that order;
// ShardOf(u, N) = u.Index mod N (round robin), so every shard of a job
// computes the same partition from the same arguments, and Select picks one
// shard's units. ShardFromEnv resolves the shard from --shard-index,
// --shard-count and JOB_COMPLETION_INDEX.
//
// # Run
//
// Run(ctx, units, p, opt), for the units of shard opt.ShardIndex:
//
//  1. Takes the lock of the output location and shard
//     (OutDir/_shards/I-of-N.lock through opt.Store: flock locally, a
//     lease on object storage). A held lock is an I/O error (exit 1)
//     naming the holder; shards of one job hold different locks.
//  2. Reads the records of every manifest in OutDir (_SUCCESS and
//     _shards/*.json): output path, output size and time (or ETag), input
//     identity, fingerprint. Decides each unit from its existing output:
//     none -> process; exists and --overwrite -> overwrite; other
//     fingerprint (or none, unreadable, a directory) -> the run stops
//     before doing anything with a usage error listing those outputs
//     (exit 2); our fingerprint and a record that still matches the
//     output and whose input identity equals the input's now -> skip;
//     our fingerprint otherwise -> recompute. A unit whose directory
//     entry could not be examined fails alone as a bad input. Outputs on
//     record whose path is no longer in the set are orphans: warned about,
//     listed in the manifests, never deleted.
//  3. Removes the temp files killed runs left for this shard's targets
//     (outputs, side outputs, manifests), beside them only, never an
//     input, never one whose writer is alive (storage.CleanTemps).
//  4. If any unit will be (re)written, writes this shard's manifest with
//     complete false (the up-to-date outputs, the orphans) and removes
//     OutDir/_SUCCESS: from then on the directory no longer claims to be
//     complete. The shard manifest is then rewritten at the first commit
//     and at most once a second (Options.flushEvery), and once more when
//     the run ends however it ends, so a killed run's committed outputs
//     stay on record. Before each manifest write the output directories
//     renamed into since the last one are synced (storage.SyncDirs; the
//     default store syncs each output file before its rename and each
//     directory only then), so a manifest lists only durable outputs.
//  5. Processes units on an errgroup: min(Workers, units to process)
//     files computing at a time, and up to commitsPerWorker more per
//     worker waiting for their commit (fsync, rename) meanwhile; the
//     Processor parallelizes inside a file with Ordered, using
//     ResourcesFrom(ctx) (Workers and the Budget of MemoryLimit bytes,
//     shared by all files). The input's identity is
//     taken before it is read. Each output is written through
//     opt.Store.Create and committed only when Process returns nil; on any
//     error the temp file is removed, so no partial file is ever visible.
//     By default a failed unit is recorded and the others go on; with
//     FailFast the first failure cancels the rest.
//  6. If every unit was written or skipped: writes OutDir/_shards/I-of-N.json
//     complete (0-of-1 when unsharded), then, if the N shard manifests are
//     all present, complete and from this job (same fingerprint, shard
//     count and set digest — a hash of the whole unit set, so manifests of
//     a run over other files never count), writes _SUCCESS merged from
//     them, unless an identical one is there. The merge depends only on
//     the shard manifests, so when two shards finish together and both
//     write it, they write the same bytes. An empty unit set is a success:
//     _SUCCESS is written with no files, so downstream steps waiting for
//     it proceed.
//
// Cancelling ctx (SIGINT/SIGTERM via signal.NotifyContext in main) stops
// all work, removes the temp files, records the committed outputs in the
// shard manifest (complete false) and returns an error wrapping
// context.Canceled; _SUCCESS is not written.
//
// Manifests are JSON documents described by the JSON Schemas (draft
// 2020-12) in schemas/manifest: success.schema.json, shard.schema.json and
// plan.schema.json (the output of `contextualize plan --json`, see Plan and
// WritePlanJSON). Timestamps appear in manifests only, never in outputs.
//
// # Errors and exit codes
//
// Errors carry a Class through *Error (helpers Usage, InputError, IOError);
// Classify reads it, falling back to context.Canceled -> canceled, then to
// UsageError()/InputError() bool methods, then to I/O. ExitCode maps a run:
//
//	0    success, or nothing to do
//	1    I/O failure (retrying may help); also unclassified errors
//	2    usage or configuration error, including an existing output with
//	     another fingerprint
//	3    some inputs failed (bad data); the others were written
//	130  interrupted
//
// When units failed for several reasons, usage (2) wins over I/O (1), which
// wins over bad input (3). With --fail-fast a bad input still exits 3.
//
// # Progress
//
// A Processor reports rows with TrackerFrom(ctx).AddRows(n). On a terminal
// (or --progress always) Run draws mpb bars on Options.Stderr: files done of
// total and a rows counter per file in progress. Otherwise (not a terminal,
// or --progress never) it logs a "progress" record every 5 s with
// files_done, files_total, rows and rows_per_sec. Quiet disables both.
package pipeline
