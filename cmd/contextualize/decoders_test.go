package main

import (
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// TestMemoryThatCannotFit: a kernel or weights that cannot fit in
// --memory-limit are refused with what would fit: exit 2 when no input
// could fit (the radius alone), exit 3 for the file that cannot (its d).
func TestMemoryThatCannotFit(t *testing.T) {
	samples := sampleDir(t)
	sensors := filepath.Join(samples, "sensors.parquet") // d = 1
	tokens := filepath.Join(samples, "tokens.parquet")   // d = 32
	wide := genInputs(t, genSpec{Files: 1, Rows: 8, D: 2048, SeqLen: 4, RowGroupRows: 8})
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr []string
	}{
		{"kernel too long for any input", []string{"smooth", "--sigma", "1e6", "--memory-limit", "64MiB", "--workers", "2", "-o", t.TempDir(), sensors},
			2, []string{"--sigma 1e+06", "radius of 4000000", "64.0 MiB", "a radius of at most"}},
		{"kernel fits series but not vectors of d=32", []string{"smooth", "--sigma", "1e5", "--memory-limit", "64MiB", "--workers", "2", "-o", t.TempDir(), sensors, tokens},
			3, []string{"tokens.parquet", "d=32", "a radius of at most"}},
		{"weights file too large for any input", []string{"attend", "--weights", filepath.Join(samples, "mha_d32_h4.safetensors"), "--heads", "4", "--memory-limit", "64KiB", "-o", t.TempDir(), tokens},
			2, []string{"d=32", "memory limit"}},
		{"identity weights of d=2048", []string{"attend", "--weights", "identity", "--heads", "4", "--memory-limit", "64MiB", "-o", t.TempDir(), wide},
			3, []string{"part-000.parquet", "d=2048", "d <= "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, nil, tt.args...)
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", r.code, tt.code, r.stderr)
			}
			for _, s := range tt.stderr {
				if !strings.Contains(r.stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, r.stderr)
				}
			}
		})
	}
}

// goRuntimeText is what must never reach users.
var goRuntimeText = regexp.MustCompile(`panic:|fatal error:|runtime error|goroutine \d+|\.go:\d+`)

// TestCorruptInputIsBadInput: corrupt footers, page headers, pages and
// chunk offsets (here: every byte of the footer region of a real file
// changed, one at a time) are bad input, exit 3 and never exit 1 ("retrying
// may help"), and Go runtime text never reaches the user.
func TestCorruptInputIsBadInput(t *testing.T) {
	samples := sampleDir(t)
	src := mustRead(t, filepath.Join(samples, "sensors.parquet"))
	dir := t.TempDir()
	codes := map[int]int{}
	for k := 0; k < 40; k++ {
		b := append([]byte(nil), src...)
		// spread over the column chunks and the footer
		i := len(b) - 9 - k*len(b)/41
		b[i] ^= 0x5a
		in := filepath.Join(dir, "in.parquet")
		if err := os.WriteFile(in, b, 0o644); err != nil {
			t.Fatal(err)
		}
		r := runCLI(t, nil, "smooth", "--sigma", "2", "--progress", "never", "--overwrite", "-o", filepath.Join(dir, "out"), in)
		codes[r.code]++
		if r.code != 0 && r.code != 3 {
			t.Errorf("byte %d changed: exit %d, want 0 or 3:\n%s", i, r.code, r.stderr)
		}
		if m := goRuntimeText.FindString(r.stderr); m != "" {
			t.Errorf("byte %d changed: Go runtime text %q on stderr:\n%s", i, m, r.stderr)
		}
	}
	if codes[3] == 0 {
		t.Errorf("no corruption was detected: exit codes %v", codes)
	}
}

// TestPageAboveMemoryLimitExits3: a page whose header declares more than
// --memory-limit fails its file (exit 3) naming file, row group, column
// and size; the other input is written.
func TestPageAboveMemoryLimitExits3(t *testing.T) {
	samples := sampleDir(t)
	type row struct {
		ID    string  `parquet:"series_id,dict"` // a small page, whole (TestKeyPageDecodingAboveMemoryLimitExits3)
		Pos   int64   `parquet:"position"`
		Value float64 `parquet:"value"`
	}
	big := filepath.Join(t.TempDir(), "big_page.parquet")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	// 2 MiB of doubles in one page, written in batches: this test process
	// stays small (a child's peak RSS includes its parent's high-water mark
	// at exec, and TestAttendBigCheckpointMemory measures one)
	w := parquet.NewGenericWriter[row](f, parquet.PageBufferSize(4<<20), parquet.Compression(&parquet.Zstd))
	batch := make([]row, 1<<14)
	for n := 0; n < 1<<18; n += len(batch) {
		for i := range batch {
			batch[i] = row{ID: "s", Pos: int64(n + i), Value: float64(n + i)}
		}
		if _, err := w.Write(batch); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	batch = nil
	debug.FreeOSMemory()
	out := t.TempDir()
	r := runCLI(t, nil, "smooth", "--sigma", "2", "--memory-limit", "1MiB", "--workers", "1", "-o", out, big, filepath.Join(samples, "sensors.parquet"))
	if r.code != 3 {
		t.Fatalf("exit %d, want 3: %s", r.code, r.stderr)
	}
	for _, s := range []string{"big_page.parquet", "row group 0", `column "`, "1048576", "declares"} {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("stderr lacks %q:\n%s", s, r.stderr)
		}
	}
	if got := visibleFiles(t, out); len(got) != 1 || got[0] != "sensors.parquet" {
		t.Errorf("outputs %v, want sensors.parquet only", got)
	}
}

// TestKeyPageDecodingAboveMemoryLimitExits3: a DELTA_BYTE_ARRAY key page
// of 32768 copies of one 64-byte key stores a few hundred bytes and
// decodes to 2 MiB: above --memory-limit, the file fails alone (exit 3)
// saying so, and the other input is written.
func TestKeyPageDecodingAboveMemoryLimitExits3(t *testing.T) {
	samples := sampleDir(t)
	type row struct {
		ID    string  `parquet:"series_id"`
		Pos   int64   `parquet:"position"`
		Value float64 `parquet:"value"`
	}
	rows := make([]row, 1<<15)
	for i := range rows {
		rows[i] = row{ID: strings.Repeat("k", 64), Pos: int64(i), Value: float64(i)}
	}
	in := filepath.Join(t.TempDir(), "long_keys.parquet")
	f, err := os.Create(in)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[row](f, parquet.PageBufferSize(4<<20), parquet.Compression(&parquet.Zstd),
		parquet.DefaultEncodingFor(parquet.ByteArray, &parquet.DeltaByteArray), parquet.DefaultEncodingFor(parquet.Int64, &parquet.DeltaBinaryPacked))
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	out := t.TempDir()
	r := runCLI(t, nil, "smooth", "--sigma", "2", "--memory-limit", "1MiB", "--workers", "1", "-o", out, in, filepath.Join(samples, "sensors.parquet"))
	if r.code != 3 {
		t.Fatalf("exit %d, want 3: %s", r.code, r.stderr)
	}
	for _, s := range []string{"long_keys.parquet", "row group 0", `column "series_id"`, "1048576", "once decoded", "DELTA_BYTE_ARRAY values decoding to"} {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("stderr lacks %q:\n%s", s, r.stderr)
		}
	}
	if got := visibleFiles(t, out); len(got) != 1 || got[0] != "sensors.parquet" {
		t.Errorf("outputs %v, want sensors.parquet only", got)
	}
}
