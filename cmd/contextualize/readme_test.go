package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// readmeBlock is one ```sh block of the README.
type readmeBlock struct {
	line   int      // of the opening fence
	lines  []string // commands
	skip   bool     // the whole block is marked skip
	prefix string   // lines starting with this are skipped
}

// skipMarker is the comment on the line before a block that cannot run in
// the test: <!-- readme-test: skip (reason) --> or, for some of its lines,
// <!-- readme-test: skip "PREFIX" (reason) -->.
var skipMarker = regexp.MustCompile(`^\s*<!-- readme-test: skip(?: "([^"]+)")?.*-->\s*$`)

func readmeBlocks(t *testing.T, path string) []readmeBlock {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var blocks []readmeBlock
	var cur *readmeBlock
	prev := ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		switch {
		case cur == nil && trimmed == "```sh":
			cur = &readmeBlock{line: n}
			if m := skipMarker.FindStringSubmatch(prev); m != nil {
				cur.skip, cur.prefix = m[1] == "", m[1]
			}
		case cur != nil && trimmed == "```":
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			cur.lines = append(cur.lines, trimmed)
		}
		if trimmed != "" {
			prev = line
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return blocks
}

// TestREADME runs the README's shell blocks, in order, against the binary
// of this checkout first on PATH, in a scratch directory that links to the
// checkout's files (so `go run ./cmd/contextualize` and samples/ work and
// outputs land in the scratch directory). Blocks marked skip are not run.
func TestREADME(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every README example")
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	blocks := readmeBlocks(t, filepath.Join(root, "README.md"))
	if len(blocks) < 3 {
		t.Fatalf("%d sh blocks in the README, expected the quick start, install and usage ones", len(blocks))
	}
	quick := blocks[0].lines
	if len(quick) != 2 || !strings.Contains(quick[0], "attend") || quick[1] != "go test ./..." {
		t.Errorf("the Quick start block should hold the main job on the samples then the tests, found %q", quick)
	}
	scratch := t.TempDir()
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if err := os.Symlink(filepath.Join(root, e.Name()), filepath.Join(scratch, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	env := append(cleanEnv(), "PATH="+filepath.Dir(binary)+string(os.PathListSeparator)+os.Getenv("PATH"))
	ran := 0
	for _, b := range blocks {
		if b.skip {
			continue
		}
		var script []string
		for _, l := range b.lines {
			if l == "" || strings.HasPrefix(l, "#") || b.prefix != "" && strings.HasPrefix(l, b.prefix) {
				continue
			}
			script = append(script, l)
		}
		for _, cmdline := range script {
			cmd := exec.Command("bash", "-euo", "pipefail", "-c", cmdline)
			cmd.Dir, cmd.Env = scratch, env
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("README.md:%d: %s: %v\n%s", b.line, cmdline, err, out)
			}
			ran++
		}
	}
	if ran < 10 {
		t.Errorf("only %d README commands ran", ran)
	}
}
