// Package blobstore reads and writes object storage — Amazon S3 and
// S3-compatible servers, Google Cloud Storage, Azure Blob Storage — through
// gocloud.dev/blob, with the guarantees contextualize needs from a batch
// job's inputs and outputs. It is self-contained: it knows nothing of
// Parquet or of the pipeline, and io/storage puts it behind the same seam
// as local files.
//
// # URLs
//
// Parse accepts s3://bucket/key, gs://bucket/key, azblob://container/key
// and file:///path, with the query parameters gocloud.dev's openers define
// (s3: endpoint, region, use_path_style, disable_https, profile,
// anonymous, ...; gs: anonymous, access_id, ...; azblob: domain, protocol,
// localemu, storage_account), e.g.
//
//	s3://bucket/in/?endpoint=http://127.0.0.1:9000&use_path_style=true&region=us-east-1
//
// "?" always starts the query, so it is never a glob character in a URL.
// The scheme is case-insensitive; empty key elements (leading, repeated,
// trailing "/") are dropped; "." and ".." elements, "#", a missing bucket
// name and any other scheme are usage errors. IsURL tells a URL from a local
// path: a one-letter "scheme" is a Windows drive letter. Location.String
// is the normalised form (query sorted), Contains compares two normalised
// locations element by element (the overlap test). Credentials come from
// each cloud's standard chain (AWS_*, GOOGLE_APPLICATION_CREDENTIALS or
// STORAGE_EMULATOR_HOST, AZURE_*); an unknown query parameter is a usage
// error when the bucket is first opened.
//
// File URLs are opened with gocloud.dev's fileblob (root "/", no metadata
// sidecars, temporary files next to their target), which neither fsyncs
// nor locks: callers with a local implementation route them to it with
// Location.LocalPath, and use file URLs here only in tests.
//
// # Reading
//
// Store.Open returns an Object, an io.ReaderAt whose every ReadAt is one
// ranged GET of exactly the requested bytes: the package never reads a
// whole object and holds no buffer beyond the caller's slice. Object.Size
// and Object.Attrs (size, modification time, ETag, GCS generation) come
// from one HEAD at Open; Attrs.Version is the object's version token
// (generation, else ETag, else modification time), to be recorded in the
// input's identity with a hash of the footer. Every ReadAt is conditional
// on that version (If-Match; on GCS that generation, ifGenerationMatch),
// so an object replaced while it is read fails with ErrChanged instead of
// mixing two versions.
// Object.Stats counts the requests and the bytes they returned.
//
// # Listing and globs
//
// Store.List reads a prefix like a directory: every object below
// key + "/", recursively, sorted by its path relative to the prefix (Rel),
// skipping any object with an element starting with "_" or "." at any
// depth (_SUCCESS, _shards/, _temporary/, .tmp names) and directory marker
// objects. Hive folders (k=v/) are ordinary elements of Rel. Store.ListDir
// is the same one level at a time (objects and IsDir prefixes), as a
// directory read on disk. Store.Glob
// matches keys with doublestar (*, **, [...], {a,b}); Rel is relative to
// the pattern's leading elements without metacharacters, a pattern that
// matches a prefix takes the objects below it, and hidden names are taken
// only where the pattern asks for them. Store.Resolve is the INPUT rule:
// an existing object, else a glob, else a prefix. Empty results are empty
// lists; the caller decides whether that is an error.
//
// # Writing
//
// Store.Create returns a Writer. Nothing appears at the key until Commit
// returns nil: uploads are multipart (S3), resumable (GCS) or staged
// blocks (Azure), published whole when they complete. Abort, a canceled
// context and a killed process leave nothing visible; S3 and Azure may
// keep the invisible parts of an aborted or killed upload, which a bucket
// lifecycle rule removes (README, "Object storage"). Parts are
// DefaultPartSize (5 MiB) with DefaultConcurrency (5) in flight, so an
// open Writer holds at most 30 MiB of buffers on S3 and Azure, 5 MiB on
// GCS. On S3 a failed or canceled upload is aborted (AbortMultipartUpload,
// with a fresh 30 s context), so only a killed process leaves parts
// behind there; Azure keeps the uncommitted blocks of any unfinished
// upload until it discards them (after a week).
//
// Conditional operations are the lease primitives (they fit io/storage's
// CondStore): CreateIfNotExist (ErrExist when the object exists),
// ReadAll (content and version), ReplaceIfMatch and DeleteIfMatch on a
// version from Stat or ReadAll (ErrChanged when the object was replaced
// or deleted meanwhile). They are atomic on the service: of two racing
// writers, exactly one succeeds.
//
// # Errors
//
// Every error is an *Error naming the operation and the URL and wrapping
// the cloud's own message. UsageError() is true — exit 2 — for what
// retrying cannot fix: a malformed URL or unsupported scheme, an unknown
// query parameter, a bucket that does not exist or cannot be accessed,
// denied, missing or invalid credentials. Everything else, after the
// SDKs' own retries, is an I/O error (exit 1). A missing object in an
// existing bucket matches ErrNotExist (which is fs.ErrNotExist; ErrExist
// is fs.ErrExist), so callers test both stores alike.
package blobstore
