package parquetio

import "fmt"

// The fast writer verifies every passthrough chunk before copying it
// (verifyChunk): each page decompressed and decoded. On the files DuckDB
// and the generator write that was most of the CPU of the goroutine that
// writes the output, the one every other waits for in order (BENCHMARKS.md:
// 0.22 s of a 0.45 s smoothing run over zstd keys). So a row group's
// passthrough chunks are verified on a goroutine of their own while the
// one before is written: row group 0 from NewWriter on, row group rg+1
// from BeginRowGroup(rg) on, one row group at a time: one verification's
// page buffers (about three key pages; larger PLAIN pages are streamed), as
// before, now beside the writer's own (4-6 MiB more peak RSS on the
// smoothing bench's files, part of the fixed allowance). copyChunk takes
// the result; the checks, their order and their errors are verifyChunk's.

// verifying is the verification of one row group's passthrough chunks.
type verifying struct {
	rg   int
	done chan struct{} // closed when errs is final
	// leaf -> verifyChunk's result, for the leaves verified (after an
	// error the rest are not: copyChunk verifies them itself if it gets
	// there)
	errs map[int]error
}

// verifiedLeaves lists the leaves copyChunk verifies: every input leaf it
// copies but the value column, which the reader decoded.
func (w *Writer) verifiedLeaves() []int {
	var out []int
	for leaf := 0; leaf < w.in.numLeaf; leaf++ {
		if leaf != w.inLeaf {
			out = append(out, leaf)
		}
	}
	return out
}

// startVerify starts verifying row group rg's passthrough chunks on
// another goroutine (fast writer only), after the verification before it
// has finished (w.ahead, which becomes w.behind).
func (w *Writer) startVerify(rg int) {
	if !verifyPassthrough || w.fast == nil || rg < 0 || rg >= w.in.NumRowGroups() {
		return
	}
	if v := w.ahead; v != nil {
		if v.rg >= rg {
			return
		}
		<-v.done
		w.behind = v
	}
	v := &verifying{rg: rg, done: make(chan struct{}), errs: map[int]error{}}
	w.ahead = v
	in, leaves := w.in, w.verifiedLeaves()
	in.prefetch(rg, leaves...) // on object storage, hinted before the first header is read
	go func() {
		defer close(v.done)
		leaf := -1
		defer func() {
			if r := recover(); r != nil && leaf >= 0 { // the error recoverWrite makes on the writer's goroutine
				v.errs[leaf] = &CorruptError{Err: fmt.Errorf("writing output of %s: row group %d: %w", in.path, rg, errDecoder)}
			}
		}()
		for _, leaf = range leaves {
			if w.leftToKeys(rg, leaf) {
				continue // the key reader verifies it (keyverify.go), else verified does
			}
			err := in.verifyChunk(rg, leaf)
			v.errs[leaf] = err
			if err != nil {
				return // the writer stops at this leaf: the rest are not needed
			}
		}
	}()
}

// verified returns verifyChunk's result for chunk leaf of row group rg:
// nil when a key reader verified it (keyverify.go), else the one found
// ahead when there is one, else verifyChunk's now.
func (w *Writer) verified(rg, leaf int) error {
	if w.in.verifiedByKeys(rg, leaf) {
		return nil
	}
	for _, v := range [...]*verifying{w.behind, w.ahead} {
		if v != nil && v.rg == rg {
			<-v.done
			if err, ok := v.errs[leaf]; ok {
				return err
			}
		}
	}
	return w.in.verifyChunk(rg, leaf)
}

// waitVerify waits for the verification in flight, so that nothing reads
// the input once the writer is closed.
func (w *Writer) waitVerify() {
	if v := w.ahead; v != nil {
		<-v.done
	}
}
