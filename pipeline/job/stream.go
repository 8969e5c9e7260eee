package job

// StreamComputer is a Computer that can also compute one sequence pushed
// in segments of whole elements, holding only what later results need
// (smoothing, and attention with a window). The job uses it for a long
// sequence of the long layout whose order column is ascending, instead of
// gathering the sequence whole (see longseq.go). The results must be bit
// for bit those of Compute32/Compute64 on the whole sequence.
type StreamComputer interface {
	Computer
	// NewStream32 returns a stream for one sequence of n elements of width
	// d, or an error saying why this sequence must be held whole (the job
	// then gathers it, with a warning naming the sequence). maxRows > 0 is
	// the elements a data-dependent window (--bandwidth) may hold before
	// the stream's Exceeded reports it; 0 means no cap.
	NewStream32(n, d, maxRows int) (SeqStream[float32], error)
	// NewStream64 is NewStream32 for float64 slabs.
	NewStream64(n, d, maxRows int) (SeqStream[float64], error)
	// StreamBytes bounds the memory such a stream holds when no push
	// exceeds seg elements and its window holds at most maxRows elements
	// (elemSize is 4 for float32 slabs, 8 for float64), for the budget.
	StreamBytes(n, d, seg, maxRows, elemSize int) int64
}

// SeqStream computes one sequence pushed in order, in segments of whole
// elements. Not safe for concurrent use.
type SeqStream[T float32 | float64] interface {
	// Push appends to dst the results that the elements src (with their
	// order values t when the computer asked for them, else nil) complete,
	// in element order, and returns the extended slice. dst does not
	// overlap src. An error means the stream cannot go on (for example
	// times that are not ascending).
	Push(dst, src []T, t []int64) ([]T, error)
	// Close appends the remaining results once every element is pushed.
	Close(dst []T) []T
	// HeldBytes is the memory the stream holds now.
	HeldBytes() int64
	// Exceeded reports whether a data-dependent window held more than
	// maxRows elements, and the most it held.
	Exceeded() (peak int, exceeded bool)
}
