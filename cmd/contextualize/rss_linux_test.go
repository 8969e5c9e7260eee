package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// rssLauncherEnv marks a re-execution of this test binary as the launcher
// of one measured run (see runMeasured).
const rssLauncherEnv = "CONTEXTUALIZE_TEST_RSS_FILE"

// launchMeasured is the launcher's whole life: run os.Args[1:], write the
// child's peak RSS in bytes to the file named by rssLauncherEnv, and exit
// with the child's code. It returns false when this process is not a
// launcher.
func launchMeasured() bool {
	out := os.Getenv(rssLauncherEnv)
	if out == "" {
		return false
	}
	os.Unsetenv(rssLauncherEnv)
	cmd := exec.Command(os.Args[1], os.Args[2:]...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	err := cmd.Run()
	if cmd.ProcessState == nil {
		fmt.Fprintln(os.Stderr, "launcher:", err)
		os.Exit(125)
	}
	rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss * 1024 // KiB on Linux
	if werr := os.WriteFile(out, []byte(strconv.FormatInt(rss, 10)), 0o644); werr != nil {
		fmt.Fprintln(os.Stderr, "launcher:", werr)
		os.Exit(125)
	}
	os.Exit(cmd.ProcessState.ExitCode())
	return true
}

// runMeasured runs the binary with args and returns its combined output and
// peak RSS. The binary is started by a small launcher (this test binary run
// afresh), because Linux counts the memory of the process a child is forked
// from in the child's peak RSS: started straight from this test process,
// whose heap holds every earlier test's garbage, the figure would be the
// test process's, not the tool's.
func runMeasured(t *testing.T, env []string, args ...string) (out []byte, rss int64, err error) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "rss")
	cmd := exec.Command(os.Args[0], append([]string{binary}, args...)...)
	cmd.Env = append(append(cleanEnv(), env...), rssLauncherEnv+"="+file)
	out, err = cmd.CombinedOutput()
	data, rerr := os.ReadFile(file)
	if rerr != nil {
		t.Fatalf("launcher wrote no peak RSS (%v): %s", rerr, out)
	}
	rss, perr := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
	if perr != nil {
		t.Fatalf("launcher's peak RSS %q: %v", data, perr)
	}
	return out, rss, err
}
