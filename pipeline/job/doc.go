// Package job turns one input file into one output file: it reads the
// value column row group by row group, cuts the rows into complete
// sequences (a sequence may span row groups), sorts each by its order
// column when needed, hands groups of sequences to the compute workers, and
// writes the row groups back in input order with every other column passed
// through.
//
// A Spec is a pipeline.Processor. Work is bounded by the pipeline's byte
// budget; output bytes do not depend on the number of workers.
package job
