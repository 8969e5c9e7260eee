package samples

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestNames(t *testing.T) {
	want := []string{"mha_d32_h4.safetensors", "sensors.parquet", "tokens.parquet", "tokens_nested.parquet"}
	if got := Names(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Names() = %v, want %v", got, want)
	}
}

func TestWriteAll(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b") // parents created too
	// the second round replaces existing files
	for round := 0; round < 2; round++ {
		paths, err := WriteAll(dir)
		if err != nil {
			t.Fatal(err)
		}
		names := Names()
		if len(paths) != len(names) {
			t.Fatalf("WriteAll returned %d paths, want %d", len(paths), len(names))
		}
		for i, name := range names {
			if paths[i] != filepath.Join(dir, name) {
				t.Errorf("path %d = %q, want %q", i, paths[i], filepath.Join(dir, name))
			}
			got, err := os.ReadFile(paths[i])
			if err != nil {
				t.Fatal(err)
			}
			want, _ := ReadFile(name)
			if !bytes.Equal(got, want) {
				t.Errorf("%s: written bytes differ from the embedded ones", name)
			}
		}
		entries, _ := os.ReadDir(dir)
		if len(entries) != len(names) {
			var seen []string
			for _, e := range entries {
				seen = append(seen, e.Name())
			}
			t.Errorf("dir holds %v, want exactly %v (no temp files left)", seen, names)
		}
	}
}

func TestWriteAllError(t *testing.T) {
	// dir is a regular file: an error, and no panic
	f := filepath.Join(t.TempDir(), "file")
	os.WriteFile(f, []byte("x"), 0o644)
	if _, err := WriteAll(f); err == nil {
		t.Fatal("WriteAll into a regular file: no error")
	}
}

func TestFilesLookRight(t *testing.T) {
	for _, name := range Names() {
		data, _ := ReadFile(name)
		if strings.HasSuffix(name, ".parquet") {
			if len(data) < 12 || string(data[:4]) != "PAR1" || string(data[len(data)-4:]) != "PAR1" {
				t.Errorf("%s: not a Parquet file", name)
			}
		}
	}
	data, _ := ReadFile("mha_d32_h4.safetensors")
	n := binary.LittleEndian.Uint64(data)
	var header map[string]json.RawMessage
	if err := json.Unmarshal(data[8:8+n], &header); err != nil {
		t.Fatal(err)
	}
	shapes := map[string][]int{
		"in_proj_weight": {96, 32}, "in_proj_bias": {96},
		"out_proj.weight": {32, 32}, "out_proj.bias": {32},
	}
	end := 0
	for name, shape := range shapes {
		var info struct {
			Dtype       string `json:"dtype"`
			Shape       []int  `json:"shape"`
			DataOffsets [2]int `json:"data_offsets"`
		}
		if err := json.Unmarshal(header[name], &info); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		size := 4
		for _, s := range shape {
			size *= s
		}
		if info.Dtype != "F32" || !reflect.DeepEqual(info.Shape, shape) || info.DataOffsets[1]-info.DataOffsets[0] != size {
			t.Errorf("%s: %+v, want F32 %v", name, info, shape)
		}
		end = max(end, info.DataOffsets[1])
	}
	if 8+int(n)+end != len(data) {
		t.Errorf("safetensors: header %d + data %d != file size %d", n, end, len(data))
	}
}
