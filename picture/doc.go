// Package picture draws what attend and smooth do to a sequence: attention
// weights as heatmaps, one per head, with the norms of the vectors before
// and after; raw and smoothed series over their order column. It draws
// with gonum.org/v1/plot and writes PNG, SVG, or a self-contained HTML page
// of several figures.
//
// It computes nothing of the run's own: callers hand it the run's inputs,
// results and weights. It only pools long sequences down to a size a
// picture can show (and says so on the picture).
package picture
