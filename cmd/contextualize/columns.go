package main

import (
	"fmt"
	"strings"

	"github.com/contextualize/contextualize/pipeline"
)

// columnFlags are the flags that name an input column.
var columnFlags = []string{"column", "sequence-column", "order-column", "time-column"}

// checkNamedColumns refuses, before anything is read or written, a column
// named by a flag that no input has: no file could satisfy it (exit 2).
// It reads footers in order only until every named column was seen, so a
// run whose first input has them reads one footer. Inputs that cannot be
// opened are left to the run, which fails them one by one.
func checkNamedColumns(units []pipeline.Unit, named map[string]string) error {
	missing := map[string]string{} // column -> flag
	for flag, col := range named {
		if col != "" {
			missing[col] = flag
		}
	}
	opened := 0
	for _, u := range units {
		if len(missing) == 0 {
			return nil
		}
		f, err := openStored(u.Input)
		if err != nil {
			continue
		}
		opened++
		for col := range missing {
			if _, ok := f.Column(col); ok {
				delete(missing, col)
			}
		}
		f.Close()
	}
	if len(missing) == 0 || opened == 0 {
		return nil
	}
	var parts []string
	for _, flag := range columnFlags {
		if col := named[flag]; col != "" && missing[col] == flag {
			parts = append(parts, fmt.Sprintf("--%s %s", flag, col))
		}
	}
	return usageError(fmt.Errorf("%s: no input has this column (%d files read); the columns are listed by contextualize inspect", strings.Join(parts, ", "), opened))
}
