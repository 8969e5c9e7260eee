package job

import (
	"slices"
	"testing"

	"github.com/contextualize/contextualize/io/parquetio"
	"github.com/contextualize/contextualize/schemas"
)

// TestKeyColumns: the writer leaves to the key readers only the columns a
// run reads whole in every row group: the long layout's id and order, not
// the nested layout's row ids (read only for an observer).
func TestKeyColumns(t *testing.T) {
	id, order, times := &parquetio.ColumnInfo{Name: "series_id"}, &parquetio.ColumnInfo{Name: "position"}, &parquetio.ColumnInfo{Name: "times"}
	tests := []struct {
		name string
		det  schemas.Detected
		want []string
	}{
		{"long", schemas.Detected{Layout: schemas.Long, Sequence: id, Order: order}, []string{"series_id", "position"}},
		{"long without an order column", schemas.Detected{Layout: schemas.Long, Sequence: id}, []string{"series_id"}},
		{"nested", schemas.Detected{Layout: schemas.Nested, Sequence: id, Time: times}, nil},
	}
	for _, tt := range tests {
		if got := keyColumns(tt.det); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}
