package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/contextualize/contextualize/schemas/manifest"
)

// validator checks JSON documents against the subset of JSON Schema draft
// 2020-12 used by schemas/manifest. A schema keyword outside the subset is
// an error, so the schemas cannot silently say more than is checked.
type validator struct {
	docs map[string]map[string]any // file name -> schema
}

var supported = map[string]bool{
	"$schema": true, "$id": true, "title": true, "description": true, "$defs": true,
	"type": true, "properties": true, "required": true, "additionalProperties": true,
	"items": true, "$ref": true, "const": true, "enum": true, "minimum": true,
	"minLength": true, "pattern": true, "format": true,
}

func loadValidator(t *testing.T) *validator {
	t.Helper()
	v := &validator{docs: map[string]map[string]any{}}
	for _, name := range []string{manifest.Success, manifest.Shard, manifest.Plan} {
		data, err := manifest.Files.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		var s map[string]any
		if err := json.Unmarshal(data, &s); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if s["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
			t.Fatalf("%s: not draft 2020-12", name)
		}
		v.docs[name] = s
	}
	return v
}

func (v *validator) validate(doc string, data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var inst any
	if err := dec.Decode(&inst); err != nil {
		return err
	}
	return v.check(doc, v.docs[doc], inst, "$")
}

func (v *validator) resolve(doc, ref string) (string, map[string]any, error) {
	file, frag, _ := strings.Cut(ref, "#")
	if file != "" {
		doc = file
	}
	node, ok := any(v.docs[doc]).(map[string]any)
	if !ok || node == nil {
		return "", nil, fmt.Errorf("$ref %s: unknown document", ref)
	}
	for _, part := range strings.Split(strings.TrimPrefix(frag, "/"), "/") {
		if part == "" {
			continue
		}
		next, ok := node[part].(map[string]any)
		if !ok {
			return "", nil, fmt.Errorf("$ref %s: no %s", ref, part)
		}
		node = next
	}
	return doc, node, nil
}

func (v *validator) check(doc string, s map[string]any, inst any, at string) error {
	for k := range s {
		if !supported[k] {
			return fmt.Errorf("schema keyword %q not supported by the test validator", k)
		}
	}
	if ref, ok := s["$ref"].(string); ok {
		d, target, err := v.resolve(doc, ref)
		if err != nil {
			return err
		}
		if err := v.check(d, target, inst, at); err != nil {
			return err
		}
	}
	if typ, ok := s["type"].(string); ok && !hasType(inst, typ) {
		return fmt.Errorf("%s: want %s, found %T %v", at, typ, inst, inst)
	}
	if c, ok := s["const"]; ok && fmt.Sprint(c) != fmt.Sprint(inst) {
		return fmt.Errorf("%s: want %v, found %v", at, c, inst)
	}
	if enum, ok := s["enum"].([]any); ok {
		found := false
		for _, e := range enum {
			found = found || fmt.Sprint(e) == fmt.Sprint(inst)
		}
		if !found {
			return fmt.Errorf("%s: %v not in %v", at, inst, enum)
		}
	}
	if min, ok := s["minimum"].(float64); ok {
		if n, isNum := inst.(json.Number); isNum {
			if f, _ := n.Float64(); f < min {
				return fmt.Errorf("%s: %v < minimum %v", at, n, min)
			}
		}
	}
	if str, isStr := inst.(string); isStr {
		if ml, ok := s["minLength"].(float64); ok && float64(len(str)) < ml {
			return fmt.Errorf("%s: %q shorter than %v", at, str, ml)
		}
		if pat, ok := s["pattern"].(string); ok && !regexp.MustCompile(pat).MatchString(str) {
			return fmt.Errorf("%s: %q does not match %s", at, str, pat)
		}
		if s["format"] == "date-time" {
			if _, err := time.Parse(time.RFC3339Nano, str); err != nil {
				return fmt.Errorf("%s: %q is not a date-time", at, str)
			}
		}
	}
	if obj, isObj := inst.(map[string]any); isObj {
		props, _ := s["properties"].(map[string]any)
		if req, ok := s["required"].([]any); ok {
			for _, r := range req {
				if _, has := obj[r.(string)]; !has {
					return fmt.Errorf("%s: missing required %q", at, r)
				}
			}
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			ps, known := props[k].(map[string]any)
			if !known {
				if s["additionalProperties"] == false {
					return fmt.Errorf("%s: unexpected property %q", at, k)
				}
				continue
			}
			if err := v.check(doc, ps, obj[k], at+"."+k); err != nil {
				return err
			}
		}
	}
	if arr, isArr := inst.([]any); isArr {
		if items, ok := s["items"].(map[string]any); ok {
			for i, e := range arr {
				if err := v.check(doc, items, e, fmt.Sprintf("%s[%d]", at, i)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func hasType(inst any, typ string) bool {
	switch typ {
	case "object":
		_, ok := inst.(map[string]any)
		return ok
	case "array":
		_, ok := inst.([]any)
		return ok
	case "string":
		_, ok := inst.(string)
		return ok
	case "boolean":
		_, ok := inst.(bool)
		return ok
	case "null":
		return inst == nil
	case "number":
		_, ok := inst.(json.Number)
		return ok
	case "integer":
		n, ok := inst.(json.Number)
		if !ok {
			return false
		}
		_, err := n.Int64()
		return err == nil
	}
	return false
}

func TestManifestsMatchSchemas(t *testing.T) {
	v := loadValidator(t)
	files := map[string]string{"a.parquet": "x\ny", "b/c.parquet": "z", "d.parquet": "w"}

	// Unsharded _SUCCESS, then one with skipped units and an orphan (the
	// input of d.parquet deleted).
	fx := newFixture(t, files)
	opt := fx.opts("fp1")
	if _, err := Run(context.Background(), fx.units, &fakeProc{fp: "fp1"}, opt); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(filepath.Join(fx.out, SuccessName))
	if err := v.validate(manifest.Success, data); err != nil {
		t.Fatalf("_SUCCESS: %v\n%s", err, data)
	}
	os.Remove(filepath.Join(fx.in, "d.parquet"))
	fx.expand(t)
	if _, err := Run(context.Background(), fx.units, &fakeProc{fp: "fp1"}, opt); err != nil {
		t.Fatal(err)
	}
	data, _ = os.ReadFile(filepath.Join(fx.out, SuccessName))
	if err := v.validate(manifest.Success, data); err != nil {
		t.Fatalf("_SUCCESS with an orphan: %v\n%s", err, data)
	}
	if !strings.Contains(string(data), `"orphans"`) || !strings.Contains(string(data), `"footer": "sha256:`) {
		t.Fatalf("expected an orphan and input identities:\n%s", data)
	}
	data, _ = os.ReadFile(ShardManifestPath(fx.out, 0, 1))
	if err := v.validate(manifest.Shard, data); err != nil {
		t.Fatalf("shard 0 of 1: %v\n%s", err, data)
	}

	// Shard manifests and the merged _SUCCESS.
	fx = newFixture(t, files)
	for i := range 2 {
		opt := fx.opts("fp1")
		opt.ShardIndex, opt.ShardCount = i, 2
		if _, err := Run(context.Background(), fx.units, &fakeProc{fp: "fp1"}, opt); err != nil {
			t.Fatal(err)
		}
		data, _ := os.ReadFile(ShardManifestPath(fx.out, i, 2))
		if err := v.validate(manifest.Shard, data); err != nil {
			t.Fatalf("shard %d: %v\n%s", i, err, data)
		}
	}
	data, _ = os.ReadFile(filepath.Join(fx.out, SuccessName))
	if err := v.validate(manifest.Success, data); err != nil {
		t.Fatalf("merged _SUCCESS: %v\n%s", err, data)
	}

	// The validator is not a rubber stamp.
	var m map[string]any
	json.Unmarshal(data, &m)
	for name, mutate := range map[string]func(map[string]any){
		"missing field": func(m map[string]any) { delete(m, "fingerprint") },
		"extra field":   func(m map[string]any) { m["extra"] = 1 },
		"wrong type":    func(m map[string]any) { m["files"] = "3" },
		"bad format":    func(m map[string]any) { m["format"] = "v0" },
		"bad time":      func(m map[string]any) { m["started"] = "yesterday" },
		"bad item":      func(m map[string]any) { m["outputs"].([]any)[0].(map[string]any)["rows"] = 1.5 },
		"bad digest":    func(m map[string]any) { m["set_digest"] = "md5:00" },
	} {
		var c map[string]any
		json.Unmarshal(data, &c)
		mutate(c)
		bad, _ := json.Marshal(c)
		if err := v.validate(manifest.Success, bad); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestPlan(t *testing.T) {
	v := loadValidator(t)
	fx := newFixture(t, map[string]string{"a.parquet": "1", "b.parquet": "2", "c.parquet": "3", "d.parquet": "4", "e.parquet": "5"})
	os.MkdirAll(fx.out, 0o755)
	os.WriteFile(filepath.Join(fx.out, "a.parquet"), []byte(expected("fp1", "1")), 0o644)
	os.WriteFile(filepath.Join(fx.out, "b.parquet"), []byte(expected("old", "2")), 0o644)
	os.WriteFile(filepath.Join(fx.out, "c.parquet"), []byte("not ours"), 0o644)
	opt := fx.opts("fp1")
	opt.ShardIndex, opt.ShardCount = 1, 2
	entries, err := Plan(fx.units, opt)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		shard    int
		selected bool
		action   Action
	}{
		{0, false, ActionRecompute}, {1, true, ActionDiffers}, {0, false, ActionDiffers},
		{1, true, ActionProcess}, {0, false, ActionProcess},
	}
	for i, e := range entries {
		w := want[i]
		if e.Index != i || e.Shard != w.shard || e.Selected != w.selected || e.Action != w.action {
			t.Errorf("entry %d = %+v, want %+v", i, e, w)
		}
	}
	if entries[0].Detail != "no record of the input it was made from" {
		t.Errorf("detail %q", entries[0].Detail)
	}
	if !strings.Contains(entries[1].Detail, "fingerprint old, want fp1") {
		t.Errorf("detail %q", entries[1].Detail)
	}
	var buf bytes.Buffer
	if err := WritePlanJSON(&buf, entries); err != nil {
		t.Fatal(err)
	}
	if err := v.validate(manifest.Plan, buf.Bytes()); err != nil {
		t.Fatalf("plan: %v\n%s", err, buf.String())
	}
	again, _ := Plan(fx.units, opt)
	var buf2 bytes.Buffer
	WritePlanJSON(&buf2, again)
	if !bytes.Equal(buf.Bytes(), buf2.Bytes()) {
		t.Fatal("plan is not deterministic")
	}

	opt.Overwrite = true
	entries, _ = Plan(fx.units, opt)
	for i, a := range []Action{ActionOverwrite, ActionOverwrite, ActionOverwrite, ActionProcess, ActionProcess} {
		if entries[i].Action != a {
			t.Errorf("overwrite: entry %d = %s, want %s", i, entries[i].Action, a)
		}
	}
	buf.Reset()
	WritePlanJSON(&buf, nil)
	if err := v.validate(manifest.Plan, buf.Bytes()); err != nil || strings.TrimSpace(buf.String()) != "[]" {
		t.Fatalf("empty plan: %v\n%s", err, buf.String())
	}
}
