package main

import (
	"context"
	"fmt"
	"io"

	"github.com/contextualize/contextualize/io/safetensors"
	"github.com/contextualize/contextualize/io/storage"
	"github.com/contextualize/contextualize/io/weights"
)

// weightsReport is what inspect says of a safetensors file: its tensors
// and the attention blocks attend can use (--weights-prefix).
type weightsReport struct {
	File    string            `json:"file"`
	Tensors []weightsTensor   `json:"tensors"`
	Blocks  []weightsBlock    `json:"attention_blocks"`
	Refused []weights.Refused `json:"not_supported,omitempty"`
}

type weightsTensor struct {
	Name  string `json:"name"`
	DType string `json:"dtype"`
	Shape []int  `json:"shape"`
	Bytes int64  `json:"bytes"`
}

type weightsBlock struct {
	Prefix  string `json:"prefix"`
	Naming  string `json:"naming"`
	D       int    `json:"d"`
	InBias  bool   `json:"input_bias"`
	OutBias bool   `json:"output_bias"`
	Tensors int    `json:"tensors"`
	Bytes   int64  `json:"bytes"`
	Problem string `json:"problem,omitempty"`
}

// namings are the block namings as users know them.
var namings = map[weights.Scheme]string{
	weights.TorchMHA: "PyTorch nn.MultiheadAttention",
	weights.BERT:     "BERT/RoBERTa/ViT (self.query|key|value, output.dense)",
	weights.QKVProj:  "CLIP/BART/Whisper (q_proj|k_proj|v_proj|out_proj)",
	weights.GPT2:     "GPT-2 Conv1D (c_attn, c_proj)",
}

// inspectWeights describes the safetensors file at path from its header
// (no tensor data is read), a path or a URL.
func inspectWeights(path string) (*weightsReport, error) {
	r, err := storage.For(path).Open(context.Background(), path)
	if err != nil {
		return nil, fmt.Errorf("inspecting %s: %w", path, err)
	}
	defer r.Close()
	f, err := safetensors.NewReader(path, r, r.Info().Size)
	if err != nil {
		return nil, fmt.Errorf("inspecting %s: %w", path, err)
	}
	d := weights.Describe(f)
	rep := &weightsReport{File: path, Refused: d.Refused, Tensors: []weightsTensor{}, Blocks: []weightsBlock{}}
	for _, t := range d.Tensors {
		rep.Tensors = append(rep.Tensors, weightsTensor{Name: t.Name, DType: t.DType, Shape: t.Shape, Bytes: t.Bytes()})
	}
	for _, b := range d.Blocks {
		rep.Blocks = append(rep.Blocks, weightsBlock{Prefix: b.Prefix, Naming: string(b.Scheme), D: b.D, InBias: b.InBias, OutBias: b.OutBias,
			Tensors: len(b.Tensors), Bytes: b.Bytes, Problem: b.Problem})
	}
	return rep, nil
}

func (rep *weightsReport) print(w io.Writer) {
	var total int64
	width := 0
	for _, t := range rep.Tensors {
		total += t.Bytes
		width = max(width, len(t.Name))
	}
	fmt.Fprintf(w, "%s\n", rep.File)
	fmt.Fprintf(w, "  tensors:    %d (%s)\n", len(rep.Tensors), formatBytes(total))
	for _, t := range rep.Tensors {
		fmt.Fprintf(w, "    %-*s  %-4s %v\n", width, t.Name, t.DType, t.Shape)
	}
	yesNo := map[bool]string{true: "yes", false: "no"}
	fmt.Fprintf(w, "  attention blocks (--weights-prefix):")
	if len(rep.Blocks) == 0 {
		fmt.Fprintf(w, " none")
	}
	fmt.Fprintln(w)
	for _, b := range rep.Blocks {
		prefix := b.Prefix
		if prefix == "" {
			prefix = `""`
		}
		if b.Problem != "" {
			fmt.Fprintf(w, "    %s  %s: unusable: %s\n", prefix, namings[weights.Scheme(b.Naming)], b.Problem)
			continue
		}
		fmt.Fprintf(w, "    %s  %s, d=%d, input bias %s, output bias %s (%d tensors, %s)\n", prefix, namings[weights.Scheme(b.Naming)],
			b.D, yesNo[b.InBias], yesNo[b.OutBias], b.Tensors, formatBytes(b.Bytes))
	}
	for _, r := range rep.Refused {
		fmt.Fprintf(w, "  not supported: %s  %s\n", r.Prefix, r.Reason)
	}
}
