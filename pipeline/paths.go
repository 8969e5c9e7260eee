package pipeline

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/contextualize/contextualize/io/storage"
)

// Location is an output location of a run and the flag that named it, for
// messages: {"-o", dir}, {"--attention-output", dir}.
type Location struct {
	Flag string
	Path string
}

// CheckPaths refuses, before anything is written, a run whose inputs and
// output locations overlap: an input (an INPUT argument that exists, or a
// file it expanded to) and an output location, or two output locations,
// that are equal or one inside the other once symbolic links are resolved
// (URLs normalised). Such a run could overwrite an input or read its own
// outputs. It also refuses an output name the tool keeps for itself
// (_SUCCESS, _shards/..., a temp file name): the input would be lost to a
// manifest or taken for a leftover temp file. Both are usage errors.
func CheckPaths(args []string, units []Unit, outs []Location) error {
	resolved := make([]string, len(outs))
	for i, o := range outs {
		r, err := storage.For(o.Path).Resolve(o.Path)
		if err != nil {
			return Usage(fmt.Errorf("%s %s: %w", o.Flag, o.Path, err))
		}
		resolved[i] = r
		for j := range i {
			if storage.Overlap(r, resolved[j]) {
				return Usage(fmt.Errorf("%s %s and %s %s overlap (the same place, or one inside the other): give them separate locations",
					outs[j].Flag, outs[j].Path, o.Flag, o.Path))
			}
		}
	}
	check := func(in string) error {
		r, err := storage.For(in).Resolve(in)
		if err != nil {
			return Usage(fmt.Errorf("input %s: %w", in, err))
		}
		for i, o := range outs {
			if storage.Overlap(r, resolved[i]) {
				return Usage(fmt.Errorf("input %s and %s %s overlap (the same place, or one inside the other): outputs must go outside the inputs",
					in, o.Flag, o.Path))
			}
		}
		return nil
	}
	for _, a := range args {
		if storage.IsURL(a) {
			if err := check(a); err != nil {
				return err
			}
			continue
		}
		if _, err := os.Stat(a); err == nil {
			if err := check(a); err != nil {
				return err
			}
		}
	}
	for _, u := range units {
		if err := check(u.Input); err != nil {
			return err
		}
		if reservedOutput(u.Rel) {
			return Usage(fmt.Errorf("input %s would be written to %s, a name the tool keeps for its manifests and temp files: rename the input",
				u.Input, u.Output))
		}
	}
	return nil
}

// reservedOutput reports whether an output path (relative to -o) is one of
// the tool's own names.
func reservedOutput(rel string) bool {
	rel = filepath.ToSlash(filepath.Clean(rel))
	first, _, _ := strings.Cut(rel, "/")
	base := rel[strings.LastIndexByte(rel, '/')+1:]
	return first == SuccessName || first == ShardsDir || storage.IsTemp(base)
}
