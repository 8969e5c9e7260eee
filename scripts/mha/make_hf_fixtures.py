#!/usr/bin/python3
"""Fixtures for the weights loader: one nn.MultiheadAttention saved in every naming attend reads.

Run from the repository root with Debian's python3-torch (files are written by hand, no
safetensors package needed):

    /usr/bin/python3 scripts/mha/make_hf_fixtures.py

Writes io/weights/testdata/:
  reference.safetensors  "x.k" [n, d] input sequences (float32 values), "y32.k" the torch output
                         in float32 and "y64.k" in float64 (module.double() on the same values),
                         for the main block; "yk0.k" (float64) for the Whisper block (k bias 0).
  torch.safetensors      the state_dict under "layers.0.attn." (in_proj_weight packed), plus a
                         decoy layer norm.
  torch_qkv.safetensors  the same with q_proj_weight/k_proj_weight/v_proj_weight (unpacked).
  bert.safetensors       BERT names: bert.encoder.layer.{0,1}.attention.self.query|key|value and
                         attention.output.dense (+ LayerNorm, intermediate, embeddings decoys);
                         layer 0 is the block, layer 1 other random weights (ambiguity).
  clip.safetensors       vision_model.encoder.layers.0.self_attn.q_proj|k_proj|v_proj|out_proj
                         (+ layer_norm1, mlp decoys).
  whisper.safetensors    model.encoder.layers.0.self_attn.* with no k_proj.bias, as Whisper
                         saves it (the reference "yk0" zeroes the k part of in_proj_bias).
  gpt2.safetensors       h.0.attn.c_attn [d, 3d] and c_proj [d, d] in Conv1D layout (transposed),
                         with the h.0.attn.bias mask buffer and h.0.mlp.c_proj [4d, d] decoys.
  bert_nobias.safetensors BERT names without any bias (reference "ynb": bias=False module).
  llama.safetensors      LLaMA names: model.layers.0.self_attn.q_proj|k_proj|v_proj|o_proj with
                         grouped-query k/v [d/2, d] and rotary_emb.inv_freq: refused.
  gqa.safetensors        q_proj|k_proj|v_proj|out_proj with k/v [d/2, d]: refused.
  big_f64.safetensors    the torch naming in F64 with one out_proj weight at 1e39 (beyond float32).

The reference is torch.nn.MultiheadAttention(16, 4, batch_first=True) in eval mode with
query = key = value = x (run in train mode with dropout 0, the same function). Deterministic:
torch.manual_seed.
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
from make_fixtures import raw, write_safetensors  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "io", "weights", "testdata")
D, H = 16, 4
LENGTHS = [1, 5, 33]


def tensor(name, t, dtype="F32"):
    return (name, dtype, tuple(t.shape), raw(t, dtype))


def outputs(m, xs, double):
    ys = []
    with torch.no_grad():
        for x in xs:
            if double:
                mm = m.double()
                xx = x.double().unsqueeze(0)
            else:
                mm = m.float()
                xx = x.float().unsqueeze(0)
            # train mode with dropout 0 is the same function as eval, and avoids torch 1.13's
            # fused eval path, which fails for bias=False
            mm.train()
            y, _ = mm(xx, xx, xx, need_weights=False)
            mm.eval()
            ys.append(y[0])
    m.float()
    return ys


def qkv(m):
    w, b = m.in_proj_weight.detach(), m.in_proj_bias.detach()
    return w[:D], w[D:2 * D], w[2 * D:], b[:D], b[D:2 * D], b[2 * D:]


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(15)
    m = torch.nn.MultiheadAttention(D, H, batch_first=True).eval()
    with torch.no_grad():  # non-zero biases, so that every bias is exercised
        m.in_proj_bias.uniform_(-0.5, 0.5)
        m.out_proj.bias.uniform_(-0.5, 0.5)
    xs = [torch.randn(n, D).float() for n in LENGTHS]
    y32, y64 = outputs(m, xs, False), outputs(m, xs, True)

    # Whisper: k_proj has no bias
    mk0 = torch.nn.MultiheadAttention(D, H, batch_first=True).eval()
    mk0.load_state_dict(m.state_dict())
    with torch.no_grad():
        mk0.in_proj_bias[D:2 * D] = 0
    yk0 = outputs(mk0, xs, True)

    # no biases at all
    torch.manual_seed(16)
    mnb = torch.nn.MultiheadAttention(D, H, bias=False, batch_first=True).eval()
    ynb = outputs(mnb, xs, True)

    ref = []
    for k, x in enumerate(xs):
        ref += [tensor(f"x.{k}", x), tensor(f"y32.{k}", y32[k]), tensor(f"y64.{k}", y64[k], "F64"),
                tensor(f"yk0.{k}", yk0[k], "F64"), tensor(f"ynb.{k}", ynb[k], "F64")]
    write_safetensors(os.path.join(OUT, "reference.safetensors"), ref, {"d": str(D), "heads": str(H)})

    wq, wk, wv, bq, bk, bv = qkv(m)
    wo, bo = m.out_proj.weight.detach(), m.out_proj.bias.detach()
    sd = m.state_dict()
    ln = torch.ones(D)

    write_safetensors(os.path.join(OUT, "torch.safetensors"), [
        tensor("layers.0.attn." + k, v) for k, v in sd.items()] + [tensor("layers.0.norm.weight", ln)], {"format": "pt"})
    write_safetensors(os.path.join(OUT, "torch_qkv.safetensors"), [
        tensor("q_proj_weight", wq), tensor("k_proj_weight", wk), tensor("v_proj_weight", wv),
        tensor("in_proj_bias", sd["in_proj_bias"]), tensor("out_proj.weight", wo), tensor("out_proj.bias", bo)])

    torch.manual_seed(17)
    other = torch.nn.MultiheadAttention(D, H, batch_first=True)
    owq, owk, owv, obq, obk, obv = qkv(other)

    def bert_layer(i, q, k, v, b1, b2, b3, o, ob):
        p = f"bert.encoder.layer.{i}."
        return [tensor(p + "attention.self.query.weight", q), tensor(p + "attention.self.query.bias", b1),
                tensor(p + "attention.self.key.weight", k), tensor(p + "attention.self.key.bias", b2),
                tensor(p + "attention.self.value.weight", v), tensor(p + "attention.self.value.bias", b3),
                tensor(p + "attention.output.dense.weight", o), tensor(p + "attention.output.dense.bias", ob),
                tensor(p + "attention.output.LayerNorm.weight", ln), tensor(p + "attention.output.LayerNorm.bias", 0 * ln),
                tensor(p + "intermediate.dense.weight", torch.randn(4 * D, D)),
                tensor(p + "output.dense.weight", torch.randn(D, 4 * D))]
    write_safetensors(os.path.join(OUT, "bert.safetensors"),
                      [tensor("bert.embeddings.word_embeddings.weight", torch.randn(1000, D))] +
                      bert_layer(0, wq, wk, wv, bq, bk, bv, wo, bo) +
                      bert_layer(1, owq, owk, owv, obq, obk, obv, other.out_proj.weight.detach(), other.out_proj.bias.detach()))

    def proj_block(p, with_kbias=True, k=None, v=None, out="out_proj"):
        t = [tensor(p + "q_proj.weight", wq), tensor(p + "q_proj.bias", bq),
             tensor(p + "k_proj.weight", wk if k is None else k),
             tensor(p + "v_proj.weight", wv if v is None else v), tensor(p + "v_proj.bias", bv),
             tensor(p + out + ".weight", wo), tensor(p + out + ".bias", bo)]
        if with_kbias:
            t.append(tensor(p + "k_proj.bias", bk))
        return t
    write_safetensors(os.path.join(OUT, "clip.safetensors"),
                      proj_block("vision_model.encoder.layers.0.self_attn.") +
                      [tensor("vision_model.encoder.layers.0.layer_norm1.weight", ln),
                       tensor("vision_model.encoder.layers.0.mlp.fc1.weight", torch.randn(4 * D, D))])
    write_safetensors(os.path.join(OUT, "whisper.safetensors"),
                      proj_block("model.encoder.layers.0.self_attn.", with_kbias=False))

    write_safetensors(os.path.join(OUT, "gpt2.safetensors"), [
        tensor("h.0.ln_1.weight", ln),
        tensor("h.0.attn.bias", torch.tril(torch.ones(1, 1, 8, 8))),
        tensor("h.0.attn.c_attn.weight", m.in_proj_weight.detach().t().contiguous()),
        tensor("h.0.attn.c_attn.bias", m.in_proj_bias.detach()),
        tensor("h.0.attn.c_proj.weight", wo.t().contiguous()),
        tensor("h.0.attn.c_proj.bias", bo),
        tensor("h.0.mlp.c_fc.weight", torch.randn(D, 4 * D)),
        tensor("h.0.mlp.c_proj.weight", torch.randn(4 * D, D)),
    ])

    nq, nk, nv = mnb.in_proj_weight.detach()[:D], mnb.in_proj_weight.detach()[D:2 * D], mnb.in_proj_weight.detach()[2 * D:]
    write_safetensors(os.path.join(OUT, "bert_nobias.safetensors"), [
        tensor("encoder.layer.0.attention.self.query.weight", nq),
        tensor("encoder.layer.0.attention.self.key.weight", nk),
        tensor("encoder.layer.0.attention.self.value.weight", nv),
        tensor("encoder.layer.0.attention.output.dense.weight", mnb.out_proj.weight.detach()),
    ])

    half = torch.randn(D // 2, D)
    write_safetensors(os.path.join(OUT, "llama.safetensors"), [
        tensor("model.layers.0.self_attn.q_proj.weight", wq),
        tensor("model.layers.0.self_attn.k_proj.weight", half),
        tensor("model.layers.0.self_attn.v_proj.weight", half),
        tensor("model.layers.0.self_attn.o_proj.weight", wo),
        tensor("model.layers.0.self_attn.rotary_emb.inv_freq", torch.rand(D // H // 2)),
    ])
    write_safetensors(os.path.join(OUT, "gqa.safetensors"), proj_block("layers.0.self_attn.", k=half, v=half))

    big = {k: v.double() for k, v in sd.items()}
    big["out_proj.weight"][3, 5] = 1e39
    write_safetensors(os.path.join(OUT, "big_f64.safetensors"), [tensor(k, v, "F64") for k, v in big.items()])
    print("wrote", OUT)


if __name__ == "__main__":
    main()
