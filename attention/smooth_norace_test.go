//go:build !race

package attention

const smoothRaceEnabled = false
