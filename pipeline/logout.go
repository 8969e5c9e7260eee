package pipeline

import (
	"io"
	"sync"
)

// LogOutput is the writer under the run's log handler. While progress
// bars are drawn, Run points it at the bars' container, which prints each
// log line above the bars instead of through them; afterwards it points
// back to stderr.
type LogOutput struct {
	mu sync.Mutex
	w  io.Writer
}

// NewLogOutput returns a LogOutput writing to w.
func NewLogOutput(w io.Writer) *LogOutput { return &LogOutput{w: w} }

// Write writes to the current target.
func (l *LogOutput) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// set changes the target and returns the previous one.
func (l *LogOutput) set(w io.Writer) io.Writer {
	l.mu.Lock()
	defer l.mu.Unlock()
	prev := l.w
	l.w = w
	return prev
}
