package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestInspectWeights: inspect lists a safetensors file's tensors and the
// attention blocks it recognises, with d and bias presence, from the
// header alone; unsupported blocks are listed with the reason.
func TestInspectWeights(t *testing.T) {
	w := func(name string) string { return filepath.Join(weightsFixtures, name) }
	r := runCLI(t, nil, "inspect", w("bert.safetensors"), w("llama.safetensors"))
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{
		"tensors:    25 (87.2 KiB)",
		"bert.encoder.layer.0.attention.self.query.weight        F32  [16 16]",
		"bert.encoder.layer.0.attention.  BERT/RoBERTa/ViT (self.query|key|value, output.dense), d=16, input bias yes, output bias yes (8 tensors, 4.2 KiB)",
		"bert.encoder.layer.1.attention.  BERT",
		"not supported: model.layers.0.self_attn.  LLaMA-style attention",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Fatalf("inspect output lacks %q:\n%s", want, r.stdout)
		}
	}
	r = runCLI(t, nil, "inspect", "--json", w("bert_nobias.safetensors"), w("gpt2.safetensors"))
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var doc struct {
		Files []weightsReport `json:"files"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || len(doc.Files) != 2 {
		t.Fatalf("want one JSON document with 2 files (%v):\n%s", err, r.stdout)
	}
	reps := doc.Files
	nb, g := reps[0].Blocks, reps[1].Blocks
	if len(nb) != 1 || nb[0].Prefix != "encoder.layer.0.attention." || nb[0].D != 16 || nb[0].InBias || nb[0].OutBias || nb[0].Naming != "bert" {
		t.Fatalf("bert_nobias blocks %+v", nb)
	}
	if len(g) != 1 || g[0].Prefix != "h.0.attn." || g[0].D != 16 || !g[0].InBias || !g[0].OutBias || g[0].Naming != "c_attn" || g[0].Tensors != 4 {
		t.Fatalf("gpt2 blocks %+v", g)
	}
	if len(reps[1].Tensors) != 8 || reps[1].Tensors[2].Name != "h.0.attn.c_attn.weight" || reps[1].Tensors[2].Shape[1] != 48 {
		t.Fatalf("gpt2 tensors %+v", reps[1].Tensors)
	}
}
