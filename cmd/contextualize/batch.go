package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/contextualize/contextualize/io/parquetio"
	"github.com/contextualize/contextualize/io/storage"
	"github.com/contextualize/contextualize/pipeline"
	"github.com/contextualize/contextualize/pipeline/job"
	"github.com/contextualize/contextualize/schemas"
	"github.com/urfave/cli/v3"
)

// fingerprintKey is the output key-value metadata entry that identifies the
// parameters an output was made with.
const fingerprintKey = "contextualize.fingerprint"

// batchRun is what attend and smooth hand to the shared batch runner.
type batchRun struct {
	command   string
	params    map[string]any // the computation's parameters (fingerprinted)
	defaults  []string       // default value columns
	bind      job.Binder
	needsTime bool
	observe   func(pipeline.Unit, schemas.Detected) (job.Observer, error)
	planning  bool // a dry run: plan, not attend or smooth
	// sides names the side outputs of a unit (attention weights).
	sides func(pipeline.Unit) []string
	// heldBytes is memory held for the whole run (attention weights),
	// charged to the --memory-limit budget before any input is read.
	heldBytes int64
	// valueChecks are conditions some input's value column must meet (see
	// checkValueTypes).
	valueChecks []valueTypeCheck
	// fixed is the memory held whatever the data, charged first.
	fixed fixedMemory
	// useBudget, if set, is given the run's data budget, --memory-limit and
	// workers before any file starts.
	useBudget func(b *pipeline.Budget, limit int64, workers int)
}

// prepared is a batch run with its flags parsed.
type prepared struct {
	units     []pipeline.Unit
	spec      *job.Spec
	opts      pipeline.Options
	allShards bool // plan with --shard-count and no index: show every shard
}

func prepare(c *cli.Command, br batchRun) (*prepared, error) {
	out := c.String("output")
	if out == "" {
		return nil, &cliUsageError{cmd: c, err: fmt.Errorf("%s needs --output DIR", br.command)}
	}
	if c.NArg() == 0 {
		return nil, &cliUsageError{cmd: c, err: fmt.Errorf("%s needs at least one INPUT (a file, a directory or a glob)", br.command)}
	}
	if err := checkCounts(c); err != nil {
		return nil, err
	}
	if err := leaseTTL(); err != nil {
		return nil, err
	}
	units, err := pipeline.Expand(c.Args().Slice(), out)
	if errors.Is(err, pipeline.ErrNoInputs) && c.Bool("allow-empty") {
		units, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	if err := pipeline.CheckPaths(c.Args().Slice(), units, outputLocations(c, out)); err != nil {
		return nil, err
	}
	schemaOpts, err := schemaOptions(c, br.defaults)
	if err != nil {
		return nil, err
	}
	named := map[string]string{}
	for _, f := range columnFlags {
		named[f] = c.String(f)
	}
	if err := checkNamedColumns(units, named); err != nil {
		return nil, err
	}
	limit, err := parseSize(c.String("memory-limit"))
	if err != nil {
		return nil, usageError(fmt.Errorf("parsing --memory-limit: %w", err))
	}
	governed := setGoMemoryLimit(limit)
	workers := c.Int("workers")
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	dataLimit, err := br.fixed.check(limit, workers)
	if err != nil {
		return nil, err
	}
	if governed {
		dataLimit = job.DataBudget(dataLimit, goMemoryHeadroom)
		logger.Debug("data budget", "memory_limit", limit, "data_bytes", dataLimit, "process_overhead", job.ProcessOverhead(), "headroom", goMemoryHeadroom)
	}
	flagIndex, allShards := c.Int("shard-index"), false
	if br.planning && flagIndex < 0 && os.Getenv(pipeline.EnvShardIndex) == "" && c.Int("shard-count") > 1 {
		flagIndex, allShards = 0, true
	}
	shardIndex, shardCount, err := pipeline.ShardFromEnv(flagIndex, c.Int("shard-count"))
	if err != nil {
		return nil, err
	}
	outType, err := parquetio.ParseFloatType(c.String("output-type"))
	if err != nil {
		return nil, usageError(fmt.Errorf("parsing --output-type: %w", err))
	}
	checks := br.valueChecks
	if outType != parquetio.Unknown {
		checks = append(checks, outputTypeCheck(outType))
	}
	if err := checkValueTypes(units, schemaOpts, checks...); err != nil {
		return nil, err
	}
	params := fingerprintParams(c, br)
	fp := fingerprint(params)
	spec := &job.Spec{
		Schema:    schemaOpts,
		Bind:      br.bind,
		NeedsTime: br.needsTime,
		Writer: parquetio.WriterOptions{
			Compression:  c.String("compression"),
			RowGroupRows: c.Int("row-group-rows"),
			OutputColumn: c.String("output-column"),
			OutputType:   outType,
			Metadata:     map[string]string{fingerprintKey: fp, "contextualize.version": buildVersion(), "contextualize.parameters": mustJSON(params)},
		},
		Workers:   workers,
		Budget:    pipeline.NewBudget(dataLimit),
		PageLimit: limit,
		Observe:   br.observe,
		TempDir:   c.String("temp-dir"),
	}
	if br.useBudget != nil {
		br.useBudget(spec.Budget, limit, workers)
	}
	if err := checkCompression(spec.Writer.Compression); err != nil {
		return nil, err
	}
	if !spec.Budget.Hold(br.heldBytes) { // held until the process ends
		return nil, usageError(fmt.Errorf("the %s weights take %s in memory, more than the %s that --memory-limit %s leaves for data: raise the limit", br.command, formatBytes(br.heldBytes), formatBytes(spec.Budget.Size()), c.String("memory-limit")))
	}
	opts := pipeline.Options{
		Workers: workers, MemoryLimit: limit,
		ShardIndex: shardIndex, ShardCount: shardCount,
		Overwrite: c.Bool("overwrite"), FailFast: c.Bool("fail-fast"),
		Budget:      spec.Budget,
		Fingerprint: fp, ReadFingerprint: readFingerprint, ReadRows: readRows, InputRows: readRows,
		Command: br.command, Version: buildVersion(), Params: params,
		OutDir: out, FS: storage.OS(), SideOutputs: br.sides, Logger: logger, LogOutput: logOut,
		Progress: progressMode(c.String("progress")), Quiet: c.Bool("quiet"),
	}
	return &prepared{units: units, spec: spec, opts: opts, allShards: allShards}, nil
}

// checkCounts refuses negative counts: they would be taken for defaults.
func checkCounts(c *cli.Command) error {
	for _, name := range []string{"workers", "row-group-rows", "shard-count"} {
		if v := c.Int(name); v < 0 {
			return usageError(fmt.Errorf("parsing --%s: expected a count >= 0 (0: the default), found %d", name, v))
		}
	}
	if v := c.Int("shard-index"); v < -1 {
		return usageError(fmt.Errorf("parsing --shard-index: expected an index >= 0, found %d", v))
	}
	return nil
}

// progressMode is --progress, except that under --log-format json progress
// is always log records: bars would be the only lines on stderr that are
// not JSON.
func progressMode(flag string) pipeline.ProgressMode {
	m := pipeline.ProgressMode(flag)
	if logJSON && (m == pipeline.ProgressAuto || m == pipeline.ProgressAlways) {
		return pipeline.ProgressNever
	}
	return m
}

// outputLocations are the places a run writes to, which must not overlap
// its inputs nor each other.
func outputLocations(c *cli.Command, out string) []pipeline.Location {
	locs := []pipeline.Location{{Flag: "-o", Path: out}}
	if a := c.String("attention-output"); a != "" {
		locs = append(locs, pipeline.Location{Flag: "--attention-output", Path: a})
	}
	return locs
}

// runBatch runs attend or smooth over the inputs.
func runBatch(ctx context.Context, c *cli.Command, br batchRun) error {
	p, err := prepare(c, br)
	if err != nil {
		return err
	}
	rep, err := pipeline.Run(ctx, p.units, p.spec, p.opts)
	if err != nil || (rep != nil && rep.Failed() > 0) {
		return &runError{report: rep, err: err}
	}
	return nil
}

func schemaOptions(c *cli.Command, defaults []string) (schemas.Options, error) {
	layout, err := schemas.ParseLayout(c.String("layout"))
	if err != nil {
		return schemas.Options{}, usageError(err)
	}
	return schemas.Options{
		Layout: layout, Column: c.String("column"), DefaultColumns: defaults,
		SequenceColumn: c.String("sequence-column"), OrderColumn: c.String("order-column"),
		TimeColumn: c.String("time-column"),
	}, nil
}

// fingerprintParams is everything that changes output bytes.
func fingerprintParams(c *cli.Command, br batchRun) map[string]any {
	p := map[string]any{"command": br.command, "format": 1}
	for k, v := range br.params {
		p[k] = v
	}
	for _, f := range []string{"layout", "column", "output-column", "sequence-column", "order-column", "time-column", "compression"} {
		p[f] = c.String(f)
	}
	if t := c.String("output-type"); t != "" {
		p["output-type"] = t // only when set, so that earlier outputs keep their fingerprint
	}
	p["row-group-rows"] = c.Int("row-group-rows")
	return p
}

// fingerprint hashes the canonical JSON of the parameters (map keys sorted).
func fingerprint(params map[string]any) string {
	sum := sha256.Sum256([]byte(mustJSON(params)))
	return hex.EncodeToString(sum[:16])
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("encoding parameters: %v", err)) // only plain values go in
	}
	return string(b)
}

// readFingerprint reads an existing output's fingerprint.
func readFingerprint(path string) (string, error) {
	f, err := openStored(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	return f.Metadata()[fingerprintKey], nil
}

// goMemoryHeadroom is what the process needs beyond the data in flight:
// the Go runtime, the binary, the writer's page buffers and zstd history.
const goMemoryHeadroom = 64 << 20

// setGoMemoryLimit bounds the process to --memory-limit plus the
// headroom: the garbage collector works to keep the heap within what the
// off-heap slabs and the binary's resident pages leave of it (otherwise
// it lets the heap grow to twice the live data), unless GOMEMLIMIT says
// otherwise. It reports whether it did: only then is the process's own
// memory beyond the headroom taken from the data budget (job.DataBudget).
func setGoMemoryLimit(limit int64) bool {
	if os.Getenv("GOMEMLIMIT") != "" {
		return false
	}
	job.SetProcessMemoryLimit(limit + goMemoryHeadroom)
	return true
}

// readRows reads an existing output's row count from its footer.
func readRows(path string) (int64, error) {
	f, err := openStored(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return f.NumRows(), nil
}

func checkCompression(s string) error {
	switch s {
	case "zstd", "snappy", "gzip", "lz4", "none":
		return nil
	}
	return usageError(fmt.Errorf("parsing --compression: expected zstd, snappy, gzip, lz4 or none, found %q", s))
}

// formatBytes writes a byte count in binary units (e.g. 12.0 MiB).
func formatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// envLeaseTTL sets how long a lock on object storage (a lease object)
// lives unless renewed: a run killed without releasing it blocks the next
// one for at most this long.
const envLeaseTTL = "CONTEXTUALIZE_LEASE_TTL"

// leaseTTL applies $CONTEXTUALIZE_LEASE_TTL (a Go duration) to the locks
// taken on object storage.
func leaseTTL() error {
	v := os.Getenv(envLeaseTTL)
	if v == "" {
		return nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < time.Second {
		return usageError(fmt.Errorf("parsing $%s: expected a duration of at least 1s (e.g. 30s, 2m), found %q", envLeaseTTL, v))
	}
	storage.Blobs().LeaseTTL = d
	return nil
}
