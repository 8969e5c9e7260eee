//go:build e2e

// The end-to-end test of the manifests: every run a cluster would make
// (each index, each shard, the plan) executed against the binary with the
// URLs pointed at a local S3 server, through to _SUCCESS. It needs the
// tool to accept s3:// URLs (issue 14) and global flags after the command,
// so it is behind the e2e tag until then. scripts/objstore/e2e.sh runs it.
package check

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestManifestsEndToEnd(t *testing.T) {
	bin, tool, query := os.Getenv("CONTEXTUALIZE_BIN"), os.Getenv("OBJSTORE_BUCKET_TOOL"), os.Getenv("OBJSTORE_S3_QUERY")
	if bin == "" || tool == "" || query == "" {
		t.Fatal("set CONTEXTUALIZE_BIN, OBJSTORE_BUCKET_TOOL and OBJSTORE_S3_QUERY (scripts/objstore/e2e.sh does)")
	}
	samples := filepath.Join("..", "..")
	for _, m := range loadAll(t) {
		t.Run(filepath.Base(m.Path), func(t *testing.T) {
			b := make([]byte, 5)
			rand.Read(b)
			bucket := "s3://ctx-e2e-" + hex.EncodeToString(b) + "/"
			at := func(key string) string { return bucket + key + "?" + query }
			do(t, tool, nil, "create", at(""))
			do(t, tool, nil, "put", filepath.Join(samples, "sensors.parquet"), at("in/sensors/sensors.parquet"))
			do(t, tool, nil, "put", filepath.Join(samples, "tokens.parquet"), at("in/tokens/tokens.parquet"))
			do(t, tool, nil, "put", filepath.Join(samples, "mha_d32_h4.safetensors"), at("weights/mha_d32_h4.safetensors"))
			runs, err := m.Runs()
			if err != nil {
				t.Fatal(err)
			}
			output := ""
			for len(runs) > 0 {
				// One stage: its runs at once, as the cluster starts them.
				n := 1
				for n < len(runs) && runs[n].Stage == runs[0].Stage {
					n++
				}
				var wg sync.WaitGroup
				errs := make([]error, n)
				for i, r := range runs[:n] {
					args := PointAt(r.Args, bucket, query)
					t.Logf("%s: contextualize %s", r.Name, strings.Join(args, " "))
					wg.Add(1)
					go func() {
						defer wg.Done()
						errs[i] = run(bin, r.Env, args...)
					}()
					for _, a := range r.Args {
						if o, ok := strings.CutPrefix(a, "--output="); ok {
							output = strings.TrimPrefix(o, Bucket)
						}
					}
				}
				wg.Wait()
				for i, err := range errs {
					if err != nil {
						t.Errorf("%s: %v", runs[i].Name, err)
					}
				}
				if t.Failed() {
					t.FailNow()
				}
				runs = runs[n:]
			}
			if output == "" {
				t.Fatal("no --output among the runs")
			}
			do(t, tool, nil, "cat", at(strings.TrimSuffix(output, "/")+"/_SUCCESS"))
		})
	}
}

func do(t *testing.T, bin string, env map[string]string, args ...string) {
	t.Helper()
	if err := run(bin, env, args...); err != nil {
		t.Fatal(err)
	}
}

func run(bin string, env map[string]string, args ...string) error {
	cmd := exec.Command(bin, args...)
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, out)
	}
	return nil
}
