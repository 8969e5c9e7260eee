package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUsageErrorsExit2 covers usage errors wherever they are: global flag,
// command, subcommand, environment variable, help topic, flag value.
func TestUsageErrorsExit2(t *testing.T) {
	samples := sampleDir(t)
	sensors := filepath.Join(samples, "sensors.parquet")
	tokens := filepath.Join(samples, "tokens.parquet")
	out := func() string { return filepath.Join(t.TempDir(), "out") }
	tests := []struct {
		name   string
		env    []string
		args   []string
		stderr []string // substrings
	}{
		{"global flag typo", nil, []string{"--quite", "smooth", "--sigma", "2", "-o", out(), sensors}, []string{"--quite", "did you mean --quiet"}},
		{"unknown command", nil, []string{"smoth", "--sigma", "2", sensors}, []string{`unknown command "smoth"`, `did you mean "smooth"`}},
		{"no command", nil, nil, []string{"no command given", "Usage: contextualize"}},
		{"command flag typo", nil, []string{"smooth", "--sigmaa", "2", "-o", out(), sensors}, []string{"--sigmaa", "did you mean --sigma", "contextualize help smooth"}},
		{"bad bool env", []string{"CONTEXTUALIZE_QUIET=yes"}, []string{"smooth", "--sigma", "2", "-o", out(), sensors}, []string{"CONTEXTUALIZE_QUIET", `"yes"`}},
		{"bad int env", []string{"CONTEXTUALIZE_WORKERS=two"}, []string{"smooth", "--sigma", "2", "-o", out(), sensors}, []string{"CONTEXTUALIZE_WORKERS"}},
		{"bad log format env", []string{"CONTEXTUALIZE_LOG_FORMAT=yaml"}, []string{"smooth", "--sigma", "2", "-o", out(), sensors}, []string{"--log-format", "yaml"}},
		{"help of an unknown command", nil, []string{"help", "smoth"}, []string{`no help for "smoth"`, `did you mean "smooth"`}},
		{"version with a stray argument", nil, []string{"version", "now"}, []string{"no arguments"}},
		{"version flag typo", nil, []string{"version", "--jsn"}, []string{"--jsn", "did you mean --json"}},
		{"completion of an unknown shell", nil, []string{"completion", "tcsh"}, []string{`unknown command "tcsh"`}},
		{"plan of an unknown command", nil, []string{"plan", "smoth", sensors}, []string{`unknown command "smoth"`}},
		{"missing flag value", nil, []string{"smooth", "-o", out(), sensors, "--sigma"}, []string{"--sigma"}},
		{"bad size", nil, []string{"smooth", "--sigma", "2", "--memory-limit", "12 parsecs", "-o", out(), sensors}, []string{"--memory-limit", "512Mi"}},
		{"NaN sigma", nil, []string{"smooth", "--sigma", "NaN", "-o", out(), sensors}, []string{"--sigma", "finite"}},
		{"Inf truncate from env", []string{"CONTEXTUALIZE_TRUNCATE=Inf"}, []string{"smooth", "--sigma", "2", "-o", out(), sensors}, []string{"--truncate", "finite"}},
		{"Inf scale", nil, []string{"attend", "--weights", "identity", "--scale", "Inf", "-o", out(), tokens}, []string{"--scale", "finite"}},
		{"NaN scale in plan", nil, []string{"plan", "attend", "--weights", "random", "--scale", "NaN", "-o", out(), tokens}, []string{"--scale", "finite"}},
		{"negative scale", nil, []string{"attend", "--weights", "identity", "--scale", "-1", "-o", out(), tokens}, []string{"scale", "found -1"}},
		{"window below -1", nil, []string{"attend", "--weights", "random", "--window", "-5", "-o", out(), tokens}, []string{"window", "found -5"}},
		{"zero heads", nil, []string{"attend", "--weights", "identity", "--heads", "0", "-o", out(), tokens}, []string{"--heads", "found 0"}},
		{"negative workers", nil, []string{"smooth", "--sigma", "2", "--workers", "-3", "-o", out(), sensors}, []string{"--workers", "found -3"}},
		{"bandwidth Inf", nil, []string{"smooth", "--bandwidth", "Inf", "-o", out(), sensors}, []string{"--bandwidth"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, tt.env, tt.args...)
			if r.code != 2 {
				t.Fatalf("exit %d, want 2; stderr:\n%s", r.code, r.stderr)
			}
			for _, s := range tt.stderr {
				if !strings.Contains(r.stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, r.stderr)
				}
			}
			if r.stdout != "" {
				t.Errorf("a usage error wrote to stdout:\n%s", r.stdout)
			}
		})
	}
}

// TestPerFileFlagErrorsAreUpFront: flags that no input could satisfy are
// refused once, before any file is read, not per file as a d mismatch.
func TestPerFileFlagErrorsAreUpFront(t *testing.T) {
	samples := sampleDir(t)
	for _, flag := range [][]string{{"--window", "-5"}, {"--heads", "0"}, {"--scale", "-1"}} {
		out := filepath.Join(t.TempDir(), "out")
		args := append([]string{"--log-format", "json", "attend", "--weights", "random"}, flag...)
		r := runCLI(t, nil, append(args, "-o", out, samples)...)
		lines := jsonLines(t, r.stderr)
		if r.code != 2 || len(lines) != 1 || strings.Contains(r.stderr, "d=") {
			t.Errorf("%v: exit %d, want 2 and one record before any file; stderr:\n%s", flag, r.code, r.stderr)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("%v: the output directory was created", flag)
		}
	}
}

// TestCvalTakesNonFinite: scipy accepts cval=NaN, and so do we, through a
// flag, an environment variable and plan; the fingerprint records it.
func TestCvalTakesNonFinite(t *testing.T) {
	samples := sampleDir(t)
	sensors := filepath.Join(samples, "sensors.parquet")
	for _, v := range []string{"NaN", "Inf", "-Inf"} {
		r := runCLI(t, nil, "smooth", "--sigma", "2", "--mode", "constant", "--cval", v, "-o", t.TempDir(), sensors)
		if r.code != 0 {
			t.Errorf("--cval %s: exit %d: %s", v, r.code, r.stderr)
		}
		r = runCLI(t, []string{"CONTEXTUALIZE_CVAL=" + v}, "plan", "smooth", "--sigma", "2", "--mode", "constant", "-o", t.TempDir(), sensors)
		if r.code != 0 {
			t.Errorf("CONTEXTUALIZE_CVAL=%s plan: exit %d: %s", v, r.code, r.stderr)
		}
	}
}

// TestFlagPlacement: flags before or after the inputs, global flags before
// or after the command, as the shipped manifests write them.
func TestFlagPlacement(t *testing.T) {
	samples := sampleDir(t)
	sensors := filepath.Join(samples, "sensors.parquet")
	ref := t.TempDir()
	if r := runCLI(t, nil, "smooth", "--sigma", "3", "--mode", "wrap", "-o", ref, sensors); r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	want := mustRead(t, filepath.Join(ref, "sensors.parquet"))
	for _, args := range [][]string{
		{"smooth", sensors, "--sigma", "3", "--mode", "wrap", "-o", "OUT"},
		{"smooth", "--sigma=3", sensors, "--mode=wrap", "--output=OUT", "--log-format=json"},
		{"--log-format", "json", "smooth", "-o", "OUT", sensors, "--sigma", "3", "--quiet", "--mode", "wrap"},
		{"smooth", "--sigma=3", "--mode=wrap", "--memory-limit=512MiB", "--log-format=json", "--output=OUT", sensors},
	} {
		out := t.TempDir()
		for i, a := range args {
			args[i] = strings.ReplaceAll(a, "OUT", out)
		}
		r := runCLI(t, nil, args...)
		if r.code != 0 {
			t.Errorf("%v: exit %d: %s", args, r.code, r.stderr)
			continue
		}
		if got := mustRead(t, filepath.Join(out, "sensors.parquet")); string(got) != string(want) {
			t.Errorf("%v: output differs from the flags-first run", args)
		}
		if strings.Contains(strings.Join(args, " "), "json") {
			jsonLines(t, r.stderr)
		}
	}
}

// TestDeployManifestArgs runs the argument lists of samples/deploy as the
// containers would (paths moved to a temp dir).
func TestDeployManifestArgs(t *testing.T) {
	samples := sampleDir(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	os.MkdirAll(in, 0o755)
	for _, f := range []string{"sensors.parquet", "tokens.parquet"} {
		os.WriteFile(filepath.Join(in, f), mustRead(t, filepath.Join(samples, f)), 0o644)
	}
	out := filepath.Join(dir, "out")
	for i := 0; i < 4; i++ {
		r := runCLI(t, []string{"JOB_COMPLETION_INDEX=" + string(rune('0'+i))},
			"smooth", "--sigma=3", "--shard-count=4", "--memory-limit=512MiB", "--log-format=json", "--output="+out, in)
		if r.code != 0 {
			t.Fatalf("shard %d: exit %d: %s", i, r.code, r.stderr)
		}
		jsonLines(t, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "_SUCCESS")); err != nil {
		t.Fatalf("no _SUCCESS after the 4 shards (two own no unit and exit 0): %v", err)
	}
	r := runCLI(t, nil, "attend", "--weights="+filepath.Join(samples, "mha_d32_h4.safetensors"), "--heads=4",
		"--shard-index=0", "--shard-count=2", "--log-format=json", "--output="+filepath.Join(dir, "att"), filepath.Join(in, "tokens.parquet"))
	if r.code != 0 {
		t.Fatalf("attend: exit %d: %s", r.code, r.stderr)
	}
	if l := jsonLines(t, r.stderr); len(l) < 2 || l[0]["msg"] != "loading weights" || l[1]["msg"] != "loaded weights" || l[0]["bytes"] == nil {
		t.Errorf("no weights-loading records first: %v", l)
	}
}

// TestJSONLogsEveryLine: under --log-format json every stderr line is a
// JSON object, the last one (an error) included.
func TestJSONLogsEveryLine(t *testing.T) {
	samples := sampleDir(t)
	garbage := filepath.Join(t.TempDir(), "garbage.parquet")
	os.WriteFile(garbage, []byte("not parquet"), 0o644)
	for _, tt := range []struct {
		args []string
		code int
	}{
		{[]string{"smooth", "--sigma", "2", "-o", t.TempDir(), samples, "--log-format", "json"}, 0},
		{[]string{"smooth", "--sigma", "2", "-o", t.TempDir(), samples, "--log-format", "json", "--progress", "always"}, 0},
		{[]string{"smooth", "--sigma", "2", "-o", t.TempDir(), filepath.Join(samples, "sensors.parquet"), garbage, "--log-format=json"}, 3},
		{[]string{"--log-format", "json", "smooth", "--sigma", "2", "-o", t.TempDir(), filepath.Join(samples, "nope.parquet")}, 2},
		{[]string{"--log-format", "json", "smoth"}, 2},
		{[]string{"smooth", "--bogus", "--log-format", "json"}, 2},
		{[]string{"--log-format", "json", "inspect", garbage}, 3},
	} {
		r := runCLI(t, nil, tt.args...)
		if r.code != tt.code {
			t.Errorf("%v: exit %d, want %d: %s", tt.args, r.code, tt.code, r.stderr)
		}
		lines := jsonLines(t, r.stderr)
		if tt.code != 0 && len(lines) == 0 {
			t.Errorf("%v: nothing on stderr", tt.args)
		} else if tt.code != 0 {
			last := lines[len(lines)-1]
			if last["level"] != "ERROR" || last["exit_code"] != float64(tt.code) {
				t.Errorf("%v: last record %v, want an ERROR with exit_code %d", tt.args, last, tt.code)
			}
		}
	}
	r := runCLI(t, []string{"CONTEXTUALIZE_LOG_FORMAT=json"}, "smooth", "--nope")
	if l := jsonLines(t, r.stderr); r.code != 2 || l[0]["usage"] != "contextualize smooth [flags] INPUT..." {
		t.Errorf("env json usage error: exit %d %v", r.code, l)
	}
}

// jsonLines parses every stderr line as a JSON object.
func jsonLines(t *testing.T, stderr string) []map[string]any {
	t.Helper()
	var out []map[string]any
	if stderr == "" {
		return nil
	}
	for _, line := range strings.Split(strings.TrimRight(stderr, "\n"), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("stderr line is not JSON: %q\nall:\n%s", line, stderr)
		}
		out = append(out, m)
	}
	return out
}

// TestHelpVersionCompletionMan covers the conveniences.
func TestHelpVersionCompletionMan(t *testing.T) {
	r := runCLI(t, nil, "help", "attend")
	if r.code != 0 || !strings.Contains(r.stdout, "--heads") || !strings.Contains(r.stdout, "--log-format") {
		t.Errorf("help attend: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	for _, cat := range []string{"Computation", "Input", "Output", "Run"} {
		if !strings.Contains(r.stdout, cat) {
			t.Errorf("help attend lacks the %s group", cat)
		}
	}
	for _, line := range strings.Split(r.stdout, "\n") {
		if strings.Count(line, "(default") > 1 {
			t.Errorf("two defaults on one line: %s", line)
		}
		if strings.HasPrefix(strings.TrimSpace(line), "--window") && !strings.Contains(line, "-1: no window") {
			t.Errorf("--window does not explain -1: %s", line)
		}
		if strings.HasPrefix(strings.TrimSpace(line), "--column") && !strings.Contains(line, "default: embedding") {
			t.Errorf("--column does not state its default: %s", line)
		}
	}
	for _, cmd := range [][]string{{}, {"smooth"}, {"inspect"}, {"plan", "attend"}, {"plan", "smooth"}, {"samples"}, {"version"}, {"completion"}} {
		r := runCLI(t, nil, append([]string{"help"}, cmd...)...)
		if r.code != 0 {
			t.Errorf("help %v: exit %d: %s", cmd, r.code, r.stderr)
		}
		for _, line := range strings.Split(r.stdout, "\n") {
			if strings.Count(line, "(default") > 1 {
				t.Errorf("help %v: two defaults on one line: %s", cmd, line)
			}
		}
	}
	if r := runCLI(t, nil, "help", "plan", "smooth"); r.code != 0 || !strings.Contains(r.stdout, "--sigma") {
		t.Errorf("help plan smooth: exit %d: %s", r.code, r.stderr)
	}
	if r := runCLI(t, nil, "smooth", "--help"); r.code != 0 || !strings.Contains(r.stdout, "-1: from --truncate") {
		t.Errorf("smooth --help: exit %d: %s", r.code, r.stdout)
	}
	r = runCLI(t, nil, "version", "--json")
	var v versionInfo
	if err := json.Unmarshal([]byte(r.stdout), &v); r.code != 0 || err != nil || v.Version == "" || v.Go == "" {
		t.Errorf("version --json: exit %d %v: %s", r.code, err, r.stdout)
	}
	for _, sh := range []string{"bash", "zsh", "fish"} {
		r := runCLI(t, nil, "completion", sh)
		if r.code != 0 || !strings.Contains(r.stdout, "contextualize") {
			t.Errorf("completion %s: exit %d: %s", sh, r.code, r.stderr)
		}
	}
	// What the completion scripts ask for: commands, then a command's flags.
	if r := runCLI(t, nil, "smooth", "--sig", "--generate-shell-completion"); r.code != 0 || !strings.Contains(r.stdout, "--sigma") {
		t.Errorf("flag completion: exit %d: %s", r.code, r.stdout)
	}
	if r := runCLI(t, nil, "--generate-shell-completion"); r.code != 0 || !strings.Contains(r.stdout, "attend") {
		t.Errorf("command completion: exit %d: %s", r.code, r.stdout)
	}
	r = runCLI(t, nil, "man")
	if r.code != 0 || !strings.Contains(r.stdout, ".TH contextualize 1") || !strings.Contains(r.stdout, "memory-limit") {
		t.Errorf("man: exit %d: %.300s", r.code, r.stdout)
	}
}

// TestEmptyInputs: no input file before sharding exits 2 unless
// --allow-empty; a shard owning no unit exits 0.
func TestEmptyInputs(t *testing.T) {
	empty := t.TempDir()
	for _, in := range []string{empty, filepath.Join(empty, "*.parquet"), filepath.Join(empty, "**", "*.parquet")} {
		out := filepath.Join(t.TempDir(), "out")
		r := runCLI(t, nil, "smooth", "--sigma", "2", "-o", out, in)
		if r.code != 2 || !strings.Contains(r.stderr, "no input files") || !strings.Contains(r.stderr, "--allow-empty") {
			t.Errorf("%s: exit %d, want 2: %s", in, r.code, r.stderr)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("%s: the output directory was created", in)
		}
		r = runCLI(t, nil, "smooth", "--sigma", "2", "--allow-empty", "-o", out, in)
		if r.code != 0 {
			t.Errorf("%s --allow-empty: exit %d: %s", in, r.code, r.stderr)
		}
		if r := runCLI(t, nil, "plan", "smooth", "--sigma", "2", "-o", out, in); r.code != 2 {
			t.Errorf("plan %s: exit %d, want 2", in, r.code)
		}
	}
	samples := sampleDir(t)
	r := runCLI(t, nil, "smooth", "--sigma", "2", "--shard-count", "5", "--shard-index", "4", "-o", t.TempDir(), filepath.Join(samples, "sensors.parquet"))
	if r.code != 0 {
		t.Errorf("a shard owning no unit: exit %d: %s", r.code, r.stderr)
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"1048576", 1 << 20}, {"512M", 512e6}, {"512MB", 512e6}, {"2GB", 2e9}, {"2G", 2e9}, {"1k", 1000},
		{"512Mi", 512 << 20}, {"512MiB", 512 << 20}, {"1Gi", 1 << 30}, {"1GiB", 1 << 30}, {"1.5Gi", 3 << 29},
		{"64mib", 64 << 20}, {"100B", 100}, {"1Ti", 1 << 40},
	}
	for _, tt := range tests {
		if got, err := parseSize(tt.in); err != nil || got != tt.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "0", "-1Gi", "1Xi", "Gi", "1e400", "NaN", "0.1"} {
		if _, err := parseSize(bad); err == nil {
			t.Errorf("parseSize(%q) succeeded", bad)
		}
	}
}

// TestInspectDirsGlobsAndFailures: inspect takes directories and globs,
// prints one JSON document, and shows the physical schema of a file whose
// layout cannot be detected.
func TestInspectDirsGlobsAndFailures(t *testing.T) {
	samples := sampleDir(t)
	for _, arg := range []string{samples, filepath.Join(samples, "*.parquet"), filepath.Join(samples, "**", "*.parquet")} {
		r := runCLI(t, nil, "inspect", "--json", arg)
		var doc struct{ Files []fileReport }
		if err := json.Unmarshal([]byte(r.stdout), &doc); r.code != 0 || err != nil || len(doc.Files) != 3 {
			t.Errorf("inspect --json %s: exit %d, %v, %d files: %s", arg, r.code, err, len(doc.Files), r.stderr)
		}
	}
	// The sensors file has no embedding column: detection fails, the
	// schema still shows.
	r := runCLI(t, nil, "inspect", "--column", "nope", filepath.Join(samples, "sensors.parquet"))
	if r.code != 3 || !strings.Contains(r.stdout, "physical schema") || !strings.Contains(r.stdout, "series_id") || !strings.Contains(r.stdout, "error:") {
		t.Errorf("failed detection: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if r := runCLI(t, nil, "inspect", filepath.Join(t.TempDir(), "*.parquet")); r.code != 2 {
		t.Errorf("inspect of a glob matching nothing: exit %d, want 2", r.code)
	}
}
