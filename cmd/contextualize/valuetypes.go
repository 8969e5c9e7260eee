package main

import (
	"fmt"

	"github.com/contextualize/contextualize/io/parquetio"
	"github.com/contextualize/contextualize/pipeline"
	"github.com/contextualize/contextualize/schemas"
)

// valueTypeCheck is a condition on an input's value column that some
// input must meet, else no file could be processed: --output-type must
// widen or keep the input's type; float64 weights beyond the float32 range
// need float64 values.
type valueTypeCheck func(det schemas.Detected) error

// checkValueTypes refuses, before anything is read or written, a run in
// which no input meets every check: a usage error (exit 2) with the first
// input's reason. It reads footers in order only until one input meets
// them; an input that does not, while another does, fails alone in the run
// (exit 3). Inputs that cannot be opened or detected are left to the run.
func checkValueTypes(units []pipeline.Unit, opts schemas.Options, checks ...valueTypeCheck) error {
	if len(checks) == 0 {
		return nil
	}
	var first error
	for _, u := range units {
		f, err := openStored(u.Input)
		if err != nil {
			continue
		}
		det, err := schemas.Detect(u.Input, f.Columns(), opts)
		f.Close()
		if err != nil {
			continue
		}
		fits := true
		for _, check := range checks {
			if err := check(det); err != nil {
				fits = false
				if first == nil {
					first = err
				}
				break
			}
		}
		if fits {
			return nil
		}
	}
	if first == nil {
		return nil
	}
	return usageError(fmt.Errorf("no input can be processed with these flags and weights; the first: %w", first))
}

// outputTypeCheck is the valueTypeCheck of --output-type t.
func outputTypeCheck(t parquetio.ElemType) valueTypeCheck {
	return func(det schemas.Detected) error {
		if _, err := parquetio.OutputType(det.Value, t); err != nil {
			return &schemas.Error{File: det.File, Column: det.Value.Name,
				Expected: fmt.Sprintf("values that output type %s widens or keeps (float16 < float32 < float64)", t), Found: err.Error()}
		}
		return nil
	}
}
