package pipeline

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// EnvShardIndex is the variable Kubernetes Indexed Jobs set in each pod.
const EnvShardIndex = "JOB_COMPLETION_INDEX"

// ShardOf returns the shard of u among count shards: round robin over the
// units sorted by output (u.Index mod count). Count <= 1 means one shard.
func ShardOf(u Unit, count int) int {
	if count <= 1 {
		return 0
	}
	return u.Index % count
}

// Select returns the units of shard index among count shards, in order.
// Count <= 1 selects every unit.
func Select(units []Unit, index, count int) []Unit {
	if count <= 1 {
		return units
	}
	var sel []Unit
	for _, u := range units {
		if ShardOf(u, count) == index {
			sel = append(sel, u)
		}
	}
	return sel
}

// ValidateShard checks 0 <= index < count (count 0 means unsharded).
func ValidateShard(index, count int) error {
	switch {
	case count < 0:
		return Usage(fmt.Errorf("--shard-count %d: must be at least 1", count))
	case count == 0 && index != 0:
		return Usage(fmt.Errorf("--shard-index %d given without --shard-count", index))
	case count > 0 && (index < 0 || index >= count):
		return Usage(fmt.Errorf("shard index %d out of range for --shard-count %d (0..%d)", index, count, count-1))
	}
	return nil
}

// ShardFromEnv resolves the shard of this process from the flags and the
// environment. flagIndex < 0 means --shard-index was not given, flagCount
// <= 0 that --shard-count was not given. The flag wins over
// JOB_COMPLETION_INDEX. Rules:
//
//   - no count, no index (flag or env): unsharded, (0, 1);
//   - no count, index 0 from the env only: unsharded (a one-pod Indexed Job);
//   - no count, any other index: usage error (the count is never in the
//     environment: pass --shard-count, e.g. equal to the Job's completions);
//   - count but no index: usage error;
//   - index outside 0..count-1: usage error.
func ShardFromEnv(flagIndex, flagCount int) (index, count int, err error) {
	index = flagIndex
	source := "--shard-index"
	if index < 0 {
		if v, ok := os.LookupEnv(EnvShardIndex); ok && strings.TrimSpace(v) != "" {
			i, perr := strconv.Atoi(strings.TrimSpace(v))
			if perr != nil {
				return 0, 0, Usage(fmt.Errorf("%s=%q: not an integer", EnvShardIndex, v))
			}
			index, source = i, EnvShardIndex
		}
	}
	switch {
	case flagCount <= 0 && index < 0:
		return 0, 1, nil
	case flagCount <= 0 && index == 0 && source == EnvShardIndex:
		return 0, 1, nil
	case flagCount <= 0:
		return 0, 0, Usage(fmt.Errorf("%s %d given without --shard-count", source, index))
	case index < 0:
		return 0, 0, Usage(fmt.Errorf("--shard-count %d needs --shard-index or %s", flagCount, EnvShardIndex))
	case index >= flagCount:
		return 0, 0, Usage(fmt.Errorf("%s %d out of range for --shard-count %d (0..%d)", source, index, flagCount, flagCount-1))
	}
	return index, flagCount, nil
}
