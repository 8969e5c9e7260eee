// Package manifest holds the JSON Schemas (draft 2020-12) of the documents
// contextualize writes besides its Parquet outputs: the _SUCCESS manifest,
// the per-shard manifests (_shards/I-of-N.json) and `plan --json`. The
// types that produce them live in package pipeline.
package manifest

import "embed"

// Files holds success.schema.json, shard.schema.json and plan.schema.json.
//
//go:embed *.schema.json
var Files embed.FS

// Schema file names in Files.
const (
	Success = "success.schema.json"
	Shard   = "shard.schema.json"
	Plan    = "plan.schema.json"
)
