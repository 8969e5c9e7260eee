package storage

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"time"
)

// Identity says which version of an input an output was made from. It is
// recorded in the manifests, never in output bytes: an output is up to
// date only while its input's identity is the recorded one.
type Identity struct {
	Size    int64     `json:"size"`
	ModTime time.Time `json:"mtime,omitzero"`   // local files
	ETag    string    `json:"etag,omitempty"`   // object storage: ETag or generation
	Footer  string    `json:"footer,omitempty"` // "sha256:" of the Parquet footer and its 8-byte tail
}

// Equal reports whether a and b name the same version of a file: every
// field equal (times compared as instants).
func (a Identity) Equal(b Identity) bool {
	return a.Size == b.Size && a.ModTime.Equal(b.ModTime) && a.ETag == b.ETag && a.Footer == b.Footer
}

// String is a short form for messages.
func (a Identity) String() string {
	s := fmt.Sprintf("%d bytes", a.Size)
	if !a.ModTime.IsZero() {
		s += ", modified " + a.ModTime.UTC().Format(time.RFC3339Nano)
	}
	if a.ETag != "" {
		s += ", etag " + a.ETag
	}
	if a.Footer != "" {
		s += ", footer " + a.Footer[:min(len(a.Footer), 19)]
	}
	return s
}

// Identify returns the identity of an open input: what Info says of it
// and the hash of its Parquet footer.
func Identify(r Reader) (Identity, error) {
	info := r.Info()
	id := Identity{Size: info.Size, ETag: info.ETag}
	if !info.ModTime.IsZero() {
		id.ModTime = info.ModTime.UTC()
	}
	h, err := FooterHash(r, info.Size)
	if err != nil {
		return id, err
	}
	id.Footer = h
	return id, nil
}

// IdentifyName opens name through s and returns its identity.
func IdentifyName(ctx context.Context, s Storage, name string) (Identity, error) {
	r, err := s.Open(ctx, name)
	if err != nil {
		return Identity{}, err
	}
	defer r.Close()
	return Identify(r)
}

// footerReadMax is the largest footer read in one piece by FooterHash.
const footerReadMax = 64 << 10

// footerTailMax is how much of the end of a file that is not valid Parquet
// is hashed instead of a footer.
const footerTailMax = 4096

// FooterHash hashes the Parquet footer of a file of the given size (the
// footer and its 8-byte tail: length and magic), read in chunks with
// ranged reads. A file without a valid footer is hashed on its last bytes
// instead (it will fail as an input anyway; its identity still changes
// when it is rewritten).
func FooterHash(r io.ReaderAt, size int64) (string, error) {
	start := max(0, size-footerTailMax)
	if size >= 12 {
		var tail [8]byte
		if _, err := r.ReadAt(tail[:], size-8); err != nil {
			return "", fmt.Errorf("reading the footer: %w", err)
		}
		if n := int64(binary.LittleEndian.Uint32(tail[:4])); string(tail[4:]) == "PAR1" && n+12 <= size {
			start = size - 8 - n
		}
	}
	h := sha256.New()
	if n := size - start; n <= footerReadMax {
		// Most footers: one read into a buffer of their size, instead of
		// io.Copy's 32 KiB buffer and a second read for EOF per input.
		buf := make([]byte, n)
		if got, err := r.ReadAt(buf, start); got < len(buf) {
			if err == nil || err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return "", fmt.Errorf("reading the footer: %w", err)
		}
		h.Write(buf)
	} else if _, err := io.Copy(h, io.NewSectionReader(r, start, n)); err != nil {
		return "", fmt.Errorf("reading the footer: %w", err)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}
