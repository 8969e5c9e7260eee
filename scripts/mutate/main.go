//go:build linux

// Command mutate is a mutation-fuzzing campaign against the built
// contextualize binary: it writes mutants of Parquet fixtures (bit flips,
// interesting integers, zeroed and duplicated ranges, truncation, and
// targeted changes to the footer and to the ARROW:schema flatbuffer), runs
// smooth, attend, inspect and plan on each, and reports
//
//   - crashes: an exit code other than 0, 1, 2, 3, or a Go panic or "fatal
//     error" (or Go runtime text) on stderr;
//   - hangs: runs killed at -timeout;
//   - peak RSS of every run (getrusage of the child), and the runs above
//     --memory-limit + 64 MiB;
//   - exit codes per command;
//   - exit-0 outputs DuckDB cannot read (scripts/interop/read_all.mjs).
//
// Mutants are a function of -seed and their index, so a finding reproduces
// with the same flags; -keep saves the mutants of every finding. The exit
// status is 1 when any finding breaks a target (0 crashes, 0 hangs, 0 runs
// above the memory bound, 0 unreadable outputs).
//
// Usage (from the repository root, after go build -o /tmp/contextualize ./cmd/contextualize
// and npm ci in scripts/interop):
//
//	go run ./scripts/mutate -bin /tmp/contextualize -n 3000 -seed 1 -keep /tmp/mutants
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

type config struct {
	bin         string
	fixtures    []string
	weights     string
	n           int
	seed        uint64
	timeout     time.Duration
	memoryLimit int64
	workers     int
	interop     string
	keep        string
	report      string
}

func main() {
	var c config
	var fixtures, limit string
	flag.StringVar(&c.bin, "bin", "", "the contextualize binary (required)")
	flag.StringVar(&fixtures, "fixtures", "testdata/interop/*.parquet,testdata/lz4/*.parquet,testdata/keys/duckdb_*.parquet,testdata/keys/polars_*.parquet", "comma-separated globs of fixtures (the key fixtures: DuckDB's and polars' id and order columns); the bundled samples are added")
	flag.IntVar(&c.n, "n", 200, "number of mutants")
	flag.Uint64Var(&c.seed, "seed", 1, "seed: mutant i of a seed is always the same")
	flag.DurationVar(&c.timeout, "timeout", 60*time.Second, "a run taking longer is a hang")
	flag.StringVar(&limit, "memory-limit", "64MiB", "--memory-limit given to smooth and attend")
	flag.IntVar(&c.workers, "workers", 2, "runs in parallel")
	flag.StringVar(&c.interop, "interop", "scripts/interop", "directory of read_all.mjs with @duckdb/node-api installed")
	flag.StringVar(&c.keep, "keep", "", "directory to save the mutants of findings in")
	flag.StringVar(&c.report, "report", "", "write every run as JSON lines to this file")
	flag.Parse()
	if c.bin == "" {
		fmt.Fprintln(os.Stderr, "mutate: -bin is required")
		os.Exit(2)
	}
	var err error
	if c.memoryLimit, err = parseSize(limit); err != nil {
		fmt.Fprintln(os.Stderr, "mutate:", err)
		os.Exit(2)
	}
	if err := run(&c, fixtures); err != nil {
		fmt.Fprintln(os.Stderr, "mutate:", err)
		os.Exit(2)
	}
}

func parseSize(s string) (int64, error) {
	var n int64
	var unit string
	if _, err := fmt.Sscanf(s, "%d%s", &n, &unit); err != nil {
		return 0, fmt.Errorf("parsing size %q: %w", s, err)
	}
	switch unit {
	case "MiB":
		return n << 20, nil
	case "GiB":
		return n << 30, nil
	}
	return 0, fmt.Errorf("parsing size %q: want MiB or GiB", s)
}

// runResult is one run of the binary on a mutant.
type runResult struct {
	Mutant  int    `json:"mutant"`
	Fixture string `json:"fixture"`
	Mutator string `json:"mutator"`
	Command string `json:"command"`
	Exit    int    `json:"exit"`
	RSSKiB  int64  `json:"rss_kib"`
	Seconds float64
	Hang    bool   `json:"hang,omitempty"`
	Crash   string `json:"crash,omitempty"`
	Stderr  string `json:"stderr,omitempty"`
	Output  string `json:"output,omitempty"` // an exit-0 output file
	Unread  string `json:"unread,omitempty"` // DuckDB's error reading Output
}

func run(c *config, globs string) error {
	work, err := os.MkdirTemp("", "mutate-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	samples := filepath.Join(work, "samples")
	if out, err := exec.Command(c.bin, "samples", "-o", samples).CombinedOutput(); err != nil {
		return fmt.Errorf("writing the samples: %v: %s", err, out)
	}
	c.weights = filepath.Join(samples, "mha_d32_h4.safetensors")
	for _, g := range append(strings.Split(globs, ","), filepath.Join(samples, "*.parquet")) {
		m, err := filepath.Glob(strings.TrimSpace(g))
		if err != nil {
			return err
		}
		c.fixtures = append(c.fixtures, m...)
	}
	if len(c.fixtures) == 0 {
		return errors.New("no fixtures")
	}
	sort.Strings(c.fixtures)
	fixtures := make([][]byte, len(c.fixtures))
	for i, p := range c.fixtures {
		if fixtures[i], err = os.ReadFile(p); err != nil {
			return err
		}
	}
	if c.keep != "" {
		if err := os.MkdirAll(c.keep, 0o755); err != nil {
			return err
		}
	}
	start := time.Now()
	results := make(chan runResult)
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < c.workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				for _, r := range c.mutantRuns(work, i, fixtures) {
					results <- r
				}
			}
		}()
	}
	go func() {
		for i := 0; i < c.n; i++ {
			next <- i
		}
		close(next)
		wg.Wait()
		close(results)
	}()
	var all []runResult
	for r := range results {
		all = append(all, r)
		if len(all)%400 == 0 {
			fmt.Fprintf(os.Stderr, "mutate: %d runs, %.0f s\n", len(all), time.Since(start).Seconds())
		}
	}
	if err := c.checkOutputs(all); err != nil {
		return err
	}
	if c.report != "" {
		if err := writeReport(c.report, all); err != nil {
			return err
		}
	}
	bad := summarize(c, all, time.Since(start))
	if c.keep != "" {
		for _, r := range all {
			if r.Crash != "" || r.Hang || r.Unread != "" || r.RSSKiB<<10 > c.memoryLimit+64<<20 {
				fx, m, _ := mutant(c.seed, r.Mutant, fixtures)
				os.WriteFile(filepath.Join(c.keep, fmt.Sprintf("mutant-%d-%s.parquet", r.Mutant, strings.TrimSuffix(filepath.Base(c.fixtures[fx]), ".parquet"))), m, 0o644)
			}
		}
	}
	if bad {
		os.Exit(1)
	}
	return nil
}

// mutantRuns writes mutant i and runs every command on it.
func (c *config) mutantRuns(work string, i int, fixtures [][]byte) []runResult {
	fx, data, how := mutant(c.seed, i, fixtures)
	dir := filepath.Join(work, fmt.Sprintf("m%d", i))
	os.MkdirAll(dir, 0o755)
	in := filepath.Join(dir, "in.parquet")
	os.WriteFile(in, data, 0o644)
	limit := fmt.Sprintf("%dMiB", c.memoryLimit>>20)
	common := []string{"--memory-limit", limit, "--progress", "never", "--workers", "2"}
	cmds := []struct {
		name string
		args []string
		out  string
	}{
		{"smooth", append(append([]string{"smooth", "--sigma", "2"}, common...), "-o", filepath.Join(dir, "smooth"), in), filepath.Join(dir, "smooth", "in.parquet")},
		{"attend", append(append([]string{"attend", "--weights", c.weights, "--heads", "4"}, common...), "-o", filepath.Join(dir, "attend"), in), filepath.Join(dir, "attend", "in.parquet")},
		{"inspect", []string{"inspect", in}, ""},
		{"plan", []string{"plan", "smooth", "--sigma", "2", "-o", filepath.Join(dir, "plan"), in}, ""},
	}
	var out []runResult
	for _, cmd := range cmds {
		r := c.runOne(cmd.args)
		r.Mutant, r.Fixture, r.Mutator, r.Command = i, filepath.Base(c.fixtures[fx]), how, cmd.name
		if r.Exit == 0 && cmd.out != "" {
			if _, err := os.Stat(cmd.out); err == nil {
				kept := filepath.Join(work, fmt.Sprintf("out-%d-%s.parquet", i, cmd.name))
				if os.Rename(cmd.out, kept) == nil {
					r.Output = kept
				}
			}
		}
		out = append(out, r)
	}
	os.RemoveAll(dir)
	return out
}

// goRuntime matches what must never reach users: Go panics, fatal runtime
// errors and runtime error text.
var goRuntime = regexp.MustCompile(`panic:|fatal error:|goroutine \d+|runtime error:|runtime\.|SIGSEGV|\.go:\d+`)

func (c *config) runOne(args []string) runResult {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.bin, args...)
	cmd.Env = append(os.Environ(), "GOTRACEBACK=all")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	err := cmd.Run()
	r := runResult{Seconds: time.Since(start).Seconds()}
	if ps := cmd.ProcessState; ps != nil {
		r.Exit = ps.ExitCode()
		if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
			r.RSSKiB = ru.Maxrss
		}
		if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			r.Exit = 128 + int(ws.Signal())
		}
	}
	if ctx.Err() != nil {
		r.Hang = true
	} else if err != nil && cmd.ProcessState == nil {
		r.Crash = "could not run: " + err.Error()
	}
	se := stderr.String()
	switch {
	case r.Hang:
	case r.Exit < 0 || r.Exit > 3:
		r.Crash = fmt.Sprintf("exit %d", r.Exit)
	case goRuntime.MatchString(se):
		r.Crash = "Go runtime text on stderr: " + goRuntime.FindString(se)
	}
	if r.Crash != "" || r.Hang {
		r.Stderr = head(se, 1500)
	} else if r.Exit != 0 {
		r.Stderr = tail(se, 300)
	}
	return r
}

func head(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// checkOutputs has DuckDB read every exit-0 output.
func (c *config) checkOutputs(all []runResult) error {
	idx := map[string]int{}
	var list bytes.Buffer
	for i, r := range all {
		if r.Output != "" {
			idx[r.Output] = i
			list.WriteString(r.Output + "\n")
		}
	}
	if len(idx) == 0 {
		return nil
	}
	cmd := exec.Command("node", "read_all.mjs")
	cmd.Dir = c.interop
	cmd.Stdin = &list
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("running DuckDB (node read_all.mjs in %s): %w", c.interop, err)
	}
	seen := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var v struct {
			File  string
			OK    bool
			Error string
		}
		if json.Unmarshal(sc.Bytes(), &v) != nil {
			continue
		}
		if i, ok := idx[v.File]; ok {
			seen++
			if !v.OK {
				all[i].Unread = v.Error
			}
		}
	}
	if seen != len(idx) {
		return fmt.Errorf("DuckDB answered for %d of %d outputs", seen, len(idx))
	}
	return nil
}

func writeReport(path string, all []runResult) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(f)
	for _, r := range all {
		if err := enc.Encode(r); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}

// summarize prints the campaign's result and reports whether a target
// was missed.
func summarize(c *config, all []runResult, took time.Duration) bool {
	bound := c.memoryLimit + 64<<20
	codes := map[string]map[int]int{}
	var crashes, hangs, over, unread []runResult
	var maxRSS runResult
	outputs := 0
	for _, r := range all {
		if codes[r.Command] == nil {
			codes[r.Command] = map[int]int{}
		}
		codes[r.Command][r.Exit]++
		if r.Crash != "" {
			crashes = append(crashes, r)
		}
		if r.Hang {
			hangs = append(hangs, r)
		}
		if r.RSSKiB<<10 > bound {
			over = append(over, r)
		}
		if r.Unread != "" {
			unread = append(unread, r)
		}
		if r.Output != "" {
			outputs++
		}
		if r.RSSKiB > maxRSS.RSSKiB {
			maxRSS = r
		}
	}
	fmt.Printf("mutants: %d of %d fixtures (seed %d), runs: %d, took %s\n", c.n, len(c.fixtures), c.seed, len(all), took.Round(time.Second))
	for _, cmd := range []string{"smooth", "attend", "inspect", "plan"} {
		var parts []string
		var keys []int
		for k := range codes[cmd] {
			keys = append(keys, k)
		}
		sort.Ints(keys)
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("exit %d: %d", k, codes[cmd][k]))
		}
		fmt.Printf("  %-8s %s\n", cmd, strings.Join(parts, ", "))
	}
	fmt.Printf("crashes: %d\nhangs (> %s): %d\nruns above --memory-limit + 64 MiB (%d MiB): %d\n", len(crashes), c.timeout, len(hangs), bound>>20, len(over))
	fmt.Printf("peak RSS: %.1f MiB (%s on mutant %d of %s, %s)\n", float64(maxRSS.RSSKiB)/1024, maxRSS.Command, maxRSS.Mutant, maxRSS.Fixture, maxRSS.Mutator)
	fmt.Printf("exit-0 outputs: %d, DuckDB cannot read: %d\n", outputs, len(unread))
	show := func(title string, rs []runResult, detail func(runResult) string) {
		for i, r := range rs {
			if i == 10 {
				fmt.Printf("  ... %d more\n", len(rs)-10)
				break
			}
			fmt.Printf("  %s: mutant %d of %s (%s), %s: %s\n", title, r.Mutant, r.Fixture, r.Mutator, r.Command, detail(r))
		}
	}
	show("crash", crashes, func(r runResult) string { return r.Crash + "\n" + indent(r.Stderr) })
	show("hang", hangs, func(r runResult) string { return indent(r.Stderr) })
	show("memory", over, func(r runResult) string { return fmt.Sprintf("%.1f MiB", float64(r.RSSKiB)/1024) })
	show("unreadable", unread, func(r runResult) string { return r.Unread })
	return len(crashes)+len(hangs)+len(over)+len(unread) > 0
}

func indent(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > 12 {
		lines = lines[:12]
	}
	return "      " + strings.Join(lines, "\n      ")
}

// mutant returns mutant i of a seed: which fixture, its bytes, and how it
// was made.
func mutant(seed uint64, i int, fixtures [][]byte) (int, []byte, string) {
	rng := rand.New(rand.NewPCG(seed, uint64(i)))
	fx := rng.IntN(len(fixtures))
	b := append([]byte(nil), fixtures[fx]...)
	var how []string
	for k := 1 + rng.IntN(3); k > 0 && len(b) > 16; k-- {
		var h string
		b, h = mutateOnce(rng, b)
		how = append(how, h)
	}
	return fx, b, strings.Join(how, "+")
}

var interesting = []uint32{0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0xffff, 1 << 20, 1 << 24, 1 << 30, 0x7fffffff, 0x80000000, 0xffffffff}

func mutateOnce(rng *rand.Rand, b []byte) ([]byte, string) {
	// half of the changes land in the footer (the last 1/8 of the file),
	// where the structure is
	pos := func() int {
		if rng.IntN(2) == 0 {
			lo := len(b) - len(b)/8 - 8
			return lo + rng.IntN(len(b)-lo)
		}
		return rng.IntN(len(b))
	}
	switch rng.IntN(8) {
	case 0:
		p := pos()
		b[p] ^= 1 << rng.IntN(8)
		return b, "bitflip"
	case 1:
		for k := 1 + rng.IntN(4); k > 0; k-- {
			b[pos()] = byte(interesting[rng.IntN(len(interesting))])
		}
		return b, "bytes"
	case 2:
		p := pos()
		if p+4 <= len(b) {
			v := interesting[rng.IntN(len(interesting))]
			b[p], b[p+1], b[p+2], b[p+3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
		}
		return b, "int32"
	case 3:
		p := pos()
		n := min(1+rng.IntN(64), len(b)-p)
		clear(b[p : p+n])
		return b, "zero"
	case 4:
		p := pos()
		n := min(1+rng.IntN(64), len(b)-p)
		q := rng.IntN(len(b) - n + 1)
		copy(b[q:q+n], b[p:p+n])
		return b, "copy"
	case 5:
		if rng.IntN(4) == 0 {
			return b[:rng.IntN(len(b))], "truncate"
		}
		p := pos() // a varint-sized nudge where page headers and lengths are
		b[p] += byte(1 + rng.IntN(3))
		return b, "nudge"
	default:
		if m, ok := mutateArrowSchema(rng, b); ok {
			return m, "arrow-schema"
		}
		b[pos()] ^= 0xff
		return b, "invert"
	}
}

// mutateArrowSchema changes one to four bytes of the ARROW:schema
// flatbuffer, keeping the base64 text the same length.
func mutateArrowSchema(rng *rand.Rand, b []byte) ([]byte, bool) {
	k := bytes.LastIndex(b, []byte("ARROW:schema"))
	if k < 0 {
		return b, false
	}
	// thrift compact: the key, a field header byte, the value's varint
	// length, then the value
	start := k + len("ARROW:schema") + 1
	var n, shift int
	for ; start < len(b) && shift < 35; start++ {
		n |= int(b[start]&0x7f) << shift
		shift += 7
		if b[start] < 0x80 {
			start++
			break
		}
	}
	end := start + n
	if n <= 0 || end > len(b) {
		return b, false
	}
	raw, err := base64.StdEncoding.DecodeString(string(b[start:end]))
	if err != nil || len(raw) < 8 {
		return b, false
	}
	for n := 1 + rng.IntN(4); n > 0; n-- {
		p := rng.IntN(len(raw))
		if rng.IntN(2) == 0 {
			raw[p] ^= 1 << rng.IntN(8)
		} else {
			raw[p] = byte(interesting[rng.IntN(len(interesting))])
		}
	}
	enc := base64.StdEncoding.EncodeToString(raw)
	if len(enc) != end-start {
		return b, false
	}
	copy(b[start:end], enc)
	return b, true
}
