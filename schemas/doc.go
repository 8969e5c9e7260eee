// Package schemas holds the input layouts contextualize accepts and the rules
// for the output it writes, detected and validated in one place.
//
// An input is either long (one row per element, grouped into sequences by a
// sequence-id column and ordered by an order column) or nested (one row per
// sequence, the value column a list of scalars or a list of vectors). Detect
// decides which from the file's columns and the user's flags, and says why.
//
// Every error names the file and the column and says what was expected and
// what was found; they are configuration errors (exit code 2 when no input
// of the run succeeds).
package schemas
