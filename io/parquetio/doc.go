// Package parquetio reads value columns from Parquet files into flat float
// slabs and writes the results back, passing every other column through.
//
// # Reading
//
// Open opens a file (an *os.File read with ReadAt, so row groups can be
// read concurrently). Columns describes the top-level columns: their Kind
// (Scalar, List, ListOfList, Other), element type, list flavour (from the
// ARROW:schema metadata when present: list, large_list, fixed_size_list;
// else from the Parquet schema: list, legacy 2-level, or flba for a
// FIXED_LEN_BYTE_ARRAY of 4·d bytes holding little-endian float32s) and
// fixed size.
//
// ReadValues reads one row group of the value column with this package's
// page reader (never parquet-go's generic row reader, which silently
// misreads list layouts it does not expect, nor its page decoding): each
// page is read once, its CRC checked, decompressed once and decoded in the
// same pass, its level and dictionary-index runs checked against its value
// count, and its values copied into a flat slab, which is reused across
// row groups and files via the reuse argument. It handles PLAIN,
// dictionary (PLAIN_DICTIONARY, RLE_DICTIONARY) and BYTE_STREAM_SPLIT
// pages, data pages v1 and v2, every codec decompressPage reads, rows that
// span pages, required and optional fields. The result is a ValueChunk:
//
//	Nesting 0 (long layout):   one element per row; Values is Rows x D.
//	Nesting 1 (nested layout): one sequence per row; Offsets[r]..Offsets[r+1]
//	                           are row r's elements, Values is Elems() x D.
//
// NewSegmentReader reads the same column in segments of whole rows:
// SegmentReader.Next(maxValues, reuse) returns at least one row and ends
// at the first row boundary at or after maxValues floats, so a row group of
// any size is read in bounded memory; ReadValues is one Next(0, reuse). A
// page crossing a segment boundary is decoded once and its remaining rows
// start the next segment. While a segment is consumed, up to
// ReadSpec.ReadAhead bytes of the following pages are read and
// decompressed by ReadSpec.Workers goroutines, in page order, into pooled
// buffers; the results do not depend on either. A large PLAIN page (DuckDB
// writes a whole column chunk as one page) is streamed: read and
// decompressed as segments need it, so a segment holds a window of it, not
// the page; its CRC is checked at its end.
//
// float16 values (FIXED_LEN_BYTE_ARRAY(2) with the FLOAT16 logical type,
// Elem Float16) are read in every shape into float32 slabs (ValueChunk.Type
// is Float32). parquet-go v0.32 drops the FLOAT16 annotation, so it is taken
// from the footer's schema elements.
//
// ValueChunk.Array wraps the slab as an Arrow array (Float32/Float64,
// FixedSizeList<float>[d], or a List of those) without copying it.
//
// Structural problems are reported as *DataError, which names the file,
// row group, file row index and column, with what was expected and found:
// ragged vectors, null or empty vectors, null values inside vectors, null
// sequences, non-float columns, FLBA lengths that are not a multiple of 4,
// missing columns. A null scalar element (d = 1: a scalar column or a
// series element) is a missing value and reads as NaN, counted in
// ValueChunk.Nulls, unless ReadSpec.StrictNulls is set. An empty sequence
// (empty outer list) is valid in the nested layout. Malformed files give a
// *CorruptError (bad input, never worth a retry) naming the file, row
// group and column; panics inside parquet-go are recovered into one
// without Go runtime text. Before parquet-go reads anything, the footer
// and every page header are walked by a Thrift length check, their enums
// checked, every page header checked against the file, the chunk and
// OpenOptions.MemoryLimit, and the level and dictionary-index runs of
// every data page checked against its value count (by the page reader as
// it decodes a value or key column's pages; by a scan before parquet-go
// decodes a passthrough column's), so a corrupt file cannot make it
// allocate gigabytes. Pages are decompressed by
// decompressPage (every codec, LZ4_RAW included), never past the size
// their header declares; parquet-go's codec table is patched to use it
// (codecs.go). ARROW:schema is verified before arrow-go decodes it; a bad
// one is ignored (File.Warnings says so) and dropped from outputs.
//
// ReadColumn reads a flat key column (sequence id, order) as an Arrow array
// with nulls; ReadListInt64 reads a nested layout's list<timestamp> column
// as flat values plus row offsets. ReadRuns reads a sequence-id column as
// runs (the rows where the value changes and the value there, as a
// string), comparing dictionary indexes or raw values without building
// per-row strings. ReadInt64s reads an INT64 order column into a reused
// slice. All four read through the same page reader as the values
// (keychunk.go, keypage.go, keydelta.go): each page read and decompressed
// once, PLAIN, dictionary, RLE (booleans), BYTE_STREAM_SPLIT and DELTA_*
// values of every physical type, data pages v1 and v2, every codec.
//
// # Writing
//
// NewWriter creates a Writer whose output schema is the input's (same
// columns, order, types, repetition, logical types and field ids; the
// value leaf is written PLAIN, passthrough leaves that were dictionary
// encoded stay dictionary encoded). WriteRowGroup(rg, vals) copies input
// row group rg column by column (levels of the value column as vals
// carries them from the SegmentReader that read it, else from the input
// pages; output row groups cut every RowGroupRows rows across
// input row groups when set), replacing the value column's
// floats with vals (the layout ReadValues produced), or, with
// WriterOptions.OutputColumn, appending them as a new last column of the
// same type and shape. Row groups map one to one unless RowGroupRows is
// set. The footer keeps the input's key-value metadata, including
// ARROW:schema (extended with the new column when one is added, so a
// fixed_size_list stays fixed_size_list for Arrow readers), plus
// WriterOptions.Metadata. Slots that were null in the input stay null when
// their new value is NaN.
//
// When row groups map one to one (RowGroupRows == 0) the Writer writes the
// file itself: every passthrough column chunk is copied byte for byte from
// the input (dictionary and data pages, encodings and statistics as they
// are; recompressed page by page only when its codec is not the requested
// one), the value column is encoded straight from the slab (data pages v2,
// PLAIN, about 1 MiB per page, the input's levels), and the footer holds
// the input's schema elements (plus the added column) and column metadata
// with the offsets moved (page indexes and bloom filters are not carried
// over). Before a passthrough chunk is copied it is decoded once
// (verifyChunk: decompression, CRC, levels, dictionary indexes, UTF-8 of
// text, row and value counts), so a corrupt one fails the file instead of
// being copied into an output no reader can open; a key chunk a key reader
// decoded whole with the same checks is not decoded again (keyverify.go). With RowGroupRows set, rows are cut across input row groups and
// written through parquet-go column by column (passthrough dictionary
// columns stay dictionary encoded).
//
// A float16 value column is written back as float16, each float32 result
// rounded to nearest even; a finite result beyond the float16 range is a
// *DataError. WriterOptions.OutputType widens the output column instead
// (float16 to float32 or float64, float32 to float64: the leaf's schema
// element and ARROW:schema are retyped); it never narrows.
//
// Writers are not safe for concurrent use; Files are.
package parquetio
