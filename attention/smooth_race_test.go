//go:build race

package attention

// raceEnabled: sync.Pool drops items on purpose under the race detector.
const raceEnabled = true
