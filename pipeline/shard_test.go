package pipeline

import (
	"fmt"
	"testing"
)

func makeUnits(n int) []Unit {
	us := make([]Unit, n)
	for i := range us {
		us[i] = Unit{Index: i, Input: fmt.Sprintf("in/%03d.parquet", i), Rel: fmt.Sprintf("%03d.parquet", i)}
		us[i].Output = "out/" + us[i].Rel
	}
	return us
}

func TestShardsPartition(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 10, 11} {
		units := makeUnits(n)
		seen := map[int]int{}
		for s := range 3 {
			sel := Select(units, s, 3)
			again := Select(units, s, 3)
			if fmt.Sprint(sel) != fmt.Sprint(again) {
				t.Fatalf("n=%d shard %d not deterministic", n, s)
			}
			if d := len(sel) - n/3; d < 0 || d > 1 {
				t.Fatalf("n=%d shard %d has %d units: unbalanced", n, s, len(sel))
			}
			for i, u := range sel {
				if ShardOf(u, 3) != s {
					t.Fatalf("unit %d in shard %d, ShardOf says %d", u.Index, s, ShardOf(u, 3))
				}
				if i > 0 && sel[i-1].Index >= u.Index {
					t.Fatalf("shard %d out of order", s)
				}
				seen[u.Index]++
			}
		}
		for i := range n {
			if seen[i] != 1 {
				t.Fatalf("n=%d: unit %d in %d shards", n, i, seen[i])
			}
		}
		if got := Select(units, 0, 1); len(got) != n {
			t.Fatalf("count 1 selected %d of %d", len(got), n)
		}
	}
}

func TestShardFromEnv(t *testing.T) {
	tests := []struct {
		env          string // "-" unset
		index, count int
		wantI, wantN int
		wantErr      bool
	}{
		{env: "-", index: -1, count: 0, wantI: 0, wantN: 1},
		{env: "-", index: 2, count: 4, wantI: 2, wantN: 4},
		{env: "3", index: -1, count: 4, wantI: 3, wantN: 4},
		{env: "3", index: 1, count: 4, wantI: 1, wantN: 4},  // flag wins
		{env: "0", index: -1, count: 0, wantI: 0, wantN: 1}, // one-pod indexed job
		{env: "2", index: -1, count: 0, wantErr: true},      // count missing
		{env: "-", index: -1, count: 3, wantErr: true},      // index missing
		{env: "4", index: -1, count: 4, wantErr: true},      // out of range
		{env: "x", index: -1, count: 4, wantErr: true},
		{env: "-", index: 1, count: 0, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("env=%s,i=%d,n=%d", tc.env, tc.index, tc.count), func(t *testing.T) {
			if tc.env == "-" {
				t.Setenv(EnvShardIndex, "")
			} else {
				t.Setenv(EnvShardIndex, tc.env)
			}
			i, n, err := ShardFromEnv(tc.index, tc.count)
			if tc.wantErr {
				if err == nil || Classify(err) != ClassUsage {
					t.Fatalf("got %d %d %v, want usage error", i, n, err)
				}
				return
			}
			if err != nil || i != tc.wantI || n != tc.wantN {
				t.Fatalf("got %d %d %v, want %d %d", i, n, err, tc.wantI, tc.wantN)
			}
		})
	}
}
