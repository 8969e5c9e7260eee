package job

import (
	"context"
	"github.com/contextualize/contextualize/io/parquetio"
	"github.com/contextualize/contextualize/pipeline"
	"github.com/contextualize/contextualize/schemas"
)

// Checked is what Check found in one input.
type Checked struct {
	Rows int64 // rows in the footer
	D    int   // vector width; 0 when it needs more than maxRead bytes to find
	// Interleaved: the rows of some sequence are not contiguous, so a run
	// groups them by id: in memory (GroupBytes of the budget) or, when
	// that exceeds the budget, through about SpillBytes of temp disk.
	Interleaved bool
	GroupBytes  int64
	SpillBytes  int64
}

// Check does what Process does before it computes, for a dry run: it opens
// u.Input (its footer), detects the layout and the key columns, requires a
// time column when the computer needs one, finds d and makes the Computer
// for it, and reads the sequence ids to find whether the file must be
// grouped (and spill). d comes from the schema, else from the first vector of the first
// row group that has rows, read only when its values fit in maxRead bytes
// (else d is left unknown and the Computer unchecked). The error is the one
// Process would fail the file with, classified the same way.
func (s *Spec) Check(u pipeline.Unit, maxRead int64) (Checked, error) {
	c, err := s.check(u, maxRead)
	return c, classify(err)
}

func (s *Spec) check(u pipeline.Unit, maxRead int64) (Checked, error) {
	f, err := openInput(context.Background(), u.Input, s.PageLimit)
	if err != nil {
		if isFileSystem(err) {
			return Checked{}, err
		}
		return Checked{}, pipeline.InputError(err)
	}
	defer f.Close()
	c := Checked{Rows: f.NumRows()}
	det, err := schemas.Detect(u.Input, f.Columns(), s.Schema)
	if err != nil {
		return c, err
	}
	if s.NeedsTime {
		if err := requireTime(det); err != nil {
			return c, err
		}
	}
	c.D = det.D
	for rg := 0; c.D == 0 && rg < f.NumRowGroups(); rg++ {
		if f.RowGroupRows(rg) == 0 {
			continue
		}
		if int64(f.SlabLen(rg, det.Value.Name))*elemSize(det.Value.Elem) > maxRead {
			break
		}
		chunk, err := f.ReadValues(rg, parquetio.ReadSpec{Column: det.Value.Name, Nesting: det.Nesting()}, nil)
		if err != nil {
			return c, err
		}
		c.D = chunk.D
	}
	if c.D > 0 && s.Bind != nil {
		if _, err := s.Bind(det, c.D); err != nil {
			return c, err
		}
	}
	grouping, _, err := needsGrouping(f, det, s.Workers)
	if err != nil || !grouping {
		return c, err
	}
	d, es := max(c.D, 1), elemSize(det.Value.Elem.SlabType())
	c.Interleaved, c.GroupBytes = true, GroupBytes(c.Rows, d, es, det.Order != nil)
	if size := s.Budget.Size(); size > 0 && c.GroupBytes > size {
		c.SpillBytes = SpillBytes(c.Rows, d, es)
	}
	return c, nil
}
