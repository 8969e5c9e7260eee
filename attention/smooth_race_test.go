//go:build race

package attention

// smoothRaceEnabled: sync.Pool drops items on purpose under the race detector.
const smoothRaceEnabled = true
