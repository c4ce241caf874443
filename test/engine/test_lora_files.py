"""LoRA files made by other tools apply with the weight difference the reference clients (ComfyUI, A1111, LyCORIS)
compute, or are refused with a message naming the format. Each test writes a file with its own reference math
(written here from the formats' definitions, not with the engine's conversion code) and compares the layer's
output change with what that difference predicts, to 1e-5."""
from __future__ import annotations

import json

import pytest
import torch
import torch.nn.functional as F
from safetensors.torch import save_file

from lorabias_engine import lora
from lorabias_engine.errors import EngineError
from lora_reference import TOL, _module, _probe, applied, kohya, rnd
from test_families import toy

ATTN = "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q"
RESNET_CONV = "down_blocks.0.resnets.0.conv1"


@pytest.fixture(scope="module")
def sd15():
    return toy("sd15")


@pytest.fixture(scope="module")
def sdxl():
    return toy("sdxl")


def test_kohya_lora_and_locon_apply_on_every_layer_kind_including_conv_in_out_and_time_embedding(sd15, tmp_path):
    state, checks = {}, {}
    for path in (ATTN, RESNET_CONV, "conv_in", "conv_out", "time_embedding.linear_1", "time_embedding.linear_2"):
        layer = _module(sd15, "unet", path)
        rank, alpha = 3, 6.0
        w = layer.weight
        down, up = rnd(rank, *w.shape[1:]), rnd(w.shape[0], rank, *([1, 1] if w.dim() == 4 else []))
        state.update({f"{kohya(path)}.lora_down.weight": down, f"{kohya(path)}.lora_up.weight": up,
                      f"{kohya(path)}.alpha": torch.tensor(alpha)})
        checks[("unet", path)] = alpha / rank * (up.flatten(1) @ down.flatten(1))
    te = "text_model.encoder.layers.1.mlp.fc1"
    down, up = rnd(2, 32), rnd(37, 2)
    state.update({f"lora_te_{te.replace('.', '_')}.lora_down.weight": down,
                  f"lora_te_{te.replace('.', '_')}.lora_up.weight": up})  # no alpha: scale 1
    te_path = te if hasattr(sd15.text_encoders[0], "text_model") else te.removeprefix("text_model.")
    checks[("te", te_path)] = up @ down
    save_file(state, str(tmp_path / "locon.safetensors"))
    info = applied(sd15, tmp_path / "locon.safetensors", checks, multiplier=0.7)
    assert info["modules"] == 7 and info["unmatched"] == 0 and "warning" not in info
    assert info["kinds"]["LoCon"] == 3  # the 3×3 convs: resnet, conv_in, conv_out


def test_sdxl_sgm_names_reach_conv_in_conv_out_and_the_time_and_label_embeddings(sdxl, tmp_path):
    # SGM (original SDXL) names as sd-scripts writes them for SDXL single-file models
    names = {"lora_unet_input_blocks_0_0": "conv_in", "lora_unet_out_2": "conv_out",
             "lora_unet_time_embed_0": "time_embedding.linear_1", "lora_unet_label_emb_0_2": "add_embedding.linear_2",
             "lora_unet_input_blocks_4_1_transformer_blocks_1_attn2_to_k":
                 "down_blocks.1.attentions.0.transformer_blocks.1.attn2.to_k",
             "lora_unet_output_blocks_0_1_proj_out": "up_blocks.0.attentions.0.proj_out",
             "lora_unet_input_blocks_3_0_op": "down_blocks.0.downsamplers.0.conv"}
    state, checks = {}, {}
    for name, path in names.items():
        w = _module(sdxl, "unet", path).weight
        down, up = rnd(2, *w.shape[1:]), rnd(w.shape[0], 2, *([1, 1] if w.dim() == 4 else []))
        state.update({f"{name}.lora_down.weight": down, f"{name}.lora_up.weight": up, f"{name}.alpha": torch.tensor(1.0)})
        checks[("unet", path)] = 0.5 * (up.flatten(1) @ down.flatten(1))
    save_file(state, str(tmp_path / "sgm.safetensors"))
    info = applied(sdxl, tmp_path / "sgm.safetensors", checks)
    assert info["modules"] == len(names) and info["unmatched"] == 0


def test_an_sdxl_kohya_file_with_diffusers_unet_names_applies_every_module(sdxl, tmp_path):
    paths = ["down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_q", "up_blocks.0.attentions.1.proj_in",
             "mid_block.attentions.0.transformer_blocks.1.ff.net.2"]
    state, checks = {}, {}
    for path in paths:
        w = _module(sdxl, "unet", path).weight
        down, up = rnd(4, w.shape[1]), rnd(w.shape[0], 4)
        state.update({f"{kohya(path)}.lora_down.weight": down, f"{kohya(path)}.lora_up.weight": up,
                      f"{kohya(path)}.alpha": torch.tensor(2.0)})
        checks[("unet", path)] = 0.5 * up @ down
    save_file(state, str(tmp_path / "xl_diffusers_names.safetensors"))
    info = applied(sdxl, tmp_path / "xl_diffusers_names.safetensors", checks, multiplier=-1.0)
    assert info["modules"] == 3 and info["unmatched"] == 0


def test_the_full_sdxl_layout_with_diffusers_names_maps_all_986_modules(tmp_path):
    """sd-scripts' SDXL module set (UNet attention 722 + text encoders 72 + 192), named from the diffusers UNet
    layout, on the real SDXL architecture (no weights): every module finds its layer."""
    from accelerate import init_empty_weights
    from diffusers import UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    from lorabias_engine.models.configs import read_config
    from lorabias_engine.models.loaded import LoadedModel

    with init_empty_weights():
        unet = UNet2DConditionModel(**read_config("sdxl", "unet"))
        te1 = CLIPTextModel(CLIPTextConfig(**read_config("sdxl", "text_encoder")))
        te2 = CLIPTextModelWithProjection(CLIPTextConfig(**read_config("sdxl", "text_encoder_2")))
    state = {}

    def add(name, weight):
        state[f"{name}.lora_down.weight"] = torch.zeros(1, weight.shape[1])
        state[f"{name}.lora_up.weight"] = torch.zeros(weight.shape[0], 1)
        state[f"{name}.alpha"] = torch.tensor(1.0)

    unet_count = 0
    for path, m in unet.named_modules():
        if ".attentions." in path and (isinstance(m, torch.nn.Linear) or
                                       (isinstance(m, torch.nn.Conv2d) and m.kernel_size == (1, 1))):
            add(kohya(path), m.weight)
            unet_count += 1
    te_counts = []
    for prefix, te in (("lora_te1_", te1), ("lora_te2_", te2)):
        n = 0
        for path, m in te.named_modules():
            if ".layers." in path and isinstance(m, torch.nn.Linear):
                full = path if path.startswith("text_model.") else "text_model." + path
                add(kohya(full, prefix), m.weight)
                n += 1
        te_counts.append(n)
    assert (unet_count, *te_counts) == (722, 72, 192)
    save_file(state, str(tmp_path / "xl_986.safetensors"))
    model = LoadedModel(model_id="xl", family="sdxl", source="xl", unet=unet, vae=None, text_encoders=[te1, te2],
                        tokenizers=[], scheduler_config={}, device=torch.device("cpu"), dtype=torch.float32)
    info = lora.inspect_lora_file(model, tmp_path / "xl_986.safetensors")
    assert info["modules"] == 986 and info["unmatched"] == 0, info["skipped_examples"]


def test_a_diffusers_file_takes_alpha_from_lora_adapter_metadata(sd15, tmp_path):
    paths = [ATTN, "down_blocks.0.attentions.0.transformer_blocks.0.ff.net.2"]
    state, checks = {}, {}
    for path in paths:
        w = _module(sd15, "unet", path).weight
        down, up = rnd(4, w.shape[1]), rnd(w.shape[0], 4)
        state.update({f"unet.{path}.lora_A.weight": down, f"unet.{path}.lora_B.weight": up})
        # lora_alpha 8 over r 4 → ×2; the ff layer has its own alpha 2 (alpha_pattern) → ×0.5
        checks[("unet", path)] = (0.5 if "ff" in path else 2.0) * up @ down
    meta = {"unet.r": 4, "unet.lora_alpha": 8, "unet.alpha_pattern": {"ff.net.2": 2}, "unet.rank_pattern": {},
            "unet.target_modules": ["to_q", "ff.net.2"]}
    save_file(state, str(tmp_path / "diffusers.safetensors"),
              metadata={"format": "pt", "lora_adapter_metadata": json.dumps(meta)})
    info = applied(sd15, tmp_path / "diffusers.safetensors", checks)
    assert info["modules"] == 2


def test_raw_peft_keys_with_the_text_encoder_apply_instead_of_crashing(sd15, tmp_path):
    te_layer = "text_model.encoder.layers.0.self_attn.k_proj"
    te_path = te_layer if hasattr(sd15.text_encoders[0], "text_model") else te_layer.removeprefix("text_model.")
    to_v = "down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_v"
    down_u, up_u = rnd(2, 32), rnd(32, 2)
    down_t, up_t = rnd(2, 32), rnd(32, 2)
    w = _module(sd15, "unet", to_v).weight
    down_p, up_p = rnd(2, w.shape[1]), rnd(w.shape[0], 2)
    state = {f"{ATTN}.lora_A.weight": down_u, f"{ATTN}.lora_B.weight": up_u,  # no component prefix at all
             f"{te_layer}.lora_A.weight": down_t, f"{te_layer}.lora_B.weight": up_t,
             # peft's own wrapper prefix, as get_peft_model_state_dict of a PeftModel leaves it
             f"base_model.model.{to_v}.lora_A.weight": down_p, f"base_model.model.{to_v}.lora_B.weight": up_p}
    save_file(state, str(tmp_path / "peft.safetensors"))
    checks = {("unet", ATTN): up_u @ down_u, ("te", te_path): up_t @ down_t, ("unet", to_v): up_p @ down_p}
    info = applied(sd15, tmp_path / "peft.safetensors", checks)
    assert info["modules"] == 3 and info["unmatched"] == 0


def test_loha_applies_the_hadamard_product_on_linear_and_conv_layers(sd15, tmp_path):
    state, checks = {}, {}
    for path in (ATTN, RESNET_CONV):
        w = _module(sd15, "unet", path).weight
        fan_in = w[0].numel()
        w1a, w1b, w2a, w2b = rnd(w.shape[0], 3), rnd(3, fan_in), rnd(w.shape[0], 3), rnd(3, fan_in)
        name = kohya(path)
        state.update({f"{name}.hada_w1_a": w1a, f"{name}.hada_w1_b": w1b, f"{name}.hada_w2_a": w2a,
                      f"{name}.hada_w2_b": w2b, f"{name}.alpha": torch.tensor(1.5)})
        checks[("unet", path)] = 0.5 * (w1a @ w1b) * (w2a @ w2b)
    save_file(state, str(tmp_path / "loha.safetensors"))
    info = applied(sd15, tmp_path / "loha.safetensors", checks, multiplier=0.8)
    assert info["kinds"] == {"LoHa": 2}


def test_lokr_applies_the_kronecker_product_on_linear_and_conv_layers(sd15, tmp_path):
    state, checks = {}, {}
    # linear 32×32: w1 (4×4) whole, w2 (8×8) = w2_a (8×2) @ w2_b (2×8); alpha 1 over rank 2
    w1, w2a, w2b = rnd(4, 4), rnd(8, 2), rnd(2, 8)
    name = kohya(ATTN)
    state.update({f"{name}.lokr_w1": w1, f"{name}.lokr_w2_a": w2a, f"{name}.lokr_w2_b": w2b,
                  f"{name}.alpha": torch.tensor(1.0)})
    w2 = w2a @ w2b
    ref = torch.zeros(32, 32)
    for i in range(4):
        for j in range(4):
            ref[i * 8:(i + 1) * 8, j * 8:(j + 1) * 8] = w1[i, j] * w2
    checks[("unet", ATTN)] = 0.5 * ref
    # conv 32→32 3×3: w1 (2×4) whole, w2 (16, 8, 3, 3) whole → scale 1 (alpha ignored when nothing is factored)
    c1, c2 = rnd(2, 4), rnd(16, 8, 3, 3)
    name = kohya(RESNET_CONV)
    state.update({f"{name}.lokr_w1": c1, f"{name}.lokr_w2": c2, f"{name}.alpha": torch.tensor(4.0)})
    cref = torch.zeros(32, 32, 3, 3)
    for i in range(2):
        for j in range(4):
            cref[i * 16:(i + 1) * 16, j * 8:(j + 1) * 8] = c1[i, j] * c2
    checks[("unet", RESNET_CONV)] = cref
    save_file(state, str(tmp_path / "lokr.safetensors"))
    info = applied(sd15, tmp_path / "lokr.safetensors", checks)
    assert info["kinds"] == {"LoKr": 2}


def test_dora_scale_renormalises_the_merged_weight_per_input_channel(sd15, tmp_path):
    path = "down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k"
    W = _module(sd15, "unet", path).weight.detach().clone()
    down, up = rnd(4, W.shape[1]), rnd(W.shape[0], 4)
    magnitude = (torch.rand(1, W.shape[1], generator=torch.Generator().manual_seed(3)) + 0.5)
    name = kohya(path)
    state = {f"{name}.lora_down.weight": down, f"{name}.lora_up.weight": up, f"{name}.alpha": torch.tensor(2.0),
             f"{name}.dora_scale": magnitude}
    save_file(state, str(tmp_path / "dora.safetensors"))
    merged = W + 0.5 * up @ down
    col_norm = torch.sqrt((merged ** 2).sum(dim=0, keepdim=True))  # one norm per input column
    ref = merged / col_norm * magnitude - W
    info = applied(sd15, tmp_path / "dora.safetensors", {("unet", path): ref}, multiplier=0.6)
    assert info["kinds"] == {"DoRA (LoRA)": 1}
    plain = (0.5 * up @ down)
    assert (ref - plain).abs().max() > 0.1 * plain.abs().max(), "DoRA must differ from the plain LoRA here"


def test_tucker_lora_mid_applies_as_down_then_core_then_up(sd15, tmp_path):
    layer = _module(sd15, "unet", RESNET_CONV)
    down, mid, up = rnd(3, 32, 1, 1), rnd(3, 3, 3, 3), rnd(32, 3, 1, 1)
    name = kohya(RESNET_CONV)
    state = {f"{name}.lora_down.weight": down, f"{name}.lora_mid.weight": mid, f"{name}.lora_up.weight": up,
             f"{name}.alpha": torch.tensor(1.0)}
    save_file(state, str(tmp_path / "tucker.safetensors"))
    # reference: LyCORIS' forward, three convolutions in a row; as one kernel it is what the probe sees
    x = _probe(layer)
    seq = F.conv2d(F.conv2d(F.conv2d(x, down), mid, stride=layer.stride, padding=layer.padding), up) / 3
    kernel = torch.zeros(32, 32, 3, 3)
    for o in range(32):
        for i in range(32):
            kernel[o, i] = sum(up[o, a, 0, 0] * mid[a, b] * down[b, i, 0, 0] for a in range(3) for b in range(3))
    assert (F.conv2d(x, kernel / 3, stride=layer.stride, padding=layer.padding) - seq).abs().max() < TOL
    info = applied(sd15, tmp_path / "tucker.safetensors", {("unet", RESNET_CONV): kernel / 3})
    assert info["kinds"] == {"Tucker LoCon": 1}


def test_a_partly_fitting_file_applies_what_fits_and_says_what_it_skipped(sd15, tmp_path):
    w = _module(sd15, "unet", ATTN).weight
    down, up = rnd(2, w.shape[1]), rnd(w.shape[0], 2)
    state = {f"{kohya(ATTN)}.lora_down.weight": down, f"{kohya(ATTN)}.lora_up.weight": up,
             "lora_unet_input_blocks_11_1_proj_in.lora_down.weight": torch.zeros(2, 640),
             "lora_unet_input_blocks_11_1_proj_in.lora_up.weight": torch.zeros(640, 2),
             f"{kohya('down_blocks.0.attentions.0.norm')}.w_norm": torch.zeros(32)}
    save_file(state, str(tmp_path / "partial.safetensors"))
    info = applied(sd15, tmp_path / "partial.safetensors", {("unet", ATTN): up @ down})
    assert info["modules"] == 1 and info["unmatched"] == 2
    assert info["skipped"] == {"no layer of this model has that name": 1,
                               "norm or bias weights (w_norm/b_norm/diff_b)": 1}
    assert "2 of 3 modules skipped" in info["warning"] and "lora_unet_input_blocks_11_1_proj_in" in info["warning"]


@pytest.mark.parametrize("roles,fmt", [(("oft_blocks",), "LyCORIS OFT"), (("a1.weight", "a2.weight", "b1.weight", "b2.weight"), "LyCORIS GLoRA")])
def test_a_file_in_a_format_lorabias_does_not_apply_is_refused_naming_it(sd15, tmp_path, roles, fmt):
    state = {f"{kohya(ATTN)}.{r}": torch.zeros(4, 8, 8) for r in roles}
    save_file(state, str(tmp_path / "other.safetensors"))
    with pytest.raises(EngineError) as err:
        lora.apply_lora_file(sd15, tmp_path / "other.safetensors", "x", 1.0)
    assert err.value.code == "E_LORA_MISMATCH"
    assert f"is a {fmt} file, which lorabias does not apply" in err.value.message and "Merge it" in err.value.message
    assert not lora._lora_layers(sd15.unet), "nothing may be left applied"


def test_a_file_for_another_model_is_refused(sd15, tmp_path):
    state = {"lora_unet_input_blocks_11_1_proj_in.lora_down.weight": torch.zeros(2, 640),
             "lora_unet_input_blocks_11_1_proj_in.lora_up.weight": torch.zeros(640, 2)}
    save_file(state, str(tmp_path / "xl.safetensors"))
    with pytest.raises(EngineError, match="none of its 1 LoRA modules fits this sd15 model"):
        lora.inspect_lora_file(sd15, tmp_path / "xl.safetensors")


def test_peft_dora_magnitude_renormalises_per_output_channel(sd15, tmp_path):
    path = "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_v"
    W = _module(sd15, "unet", path).weight.detach().clone()
    down, up = rnd(4, W.shape[1]), rnd(W.shape[0], 4)
    magnitude = torch.rand(W.shape[0], generator=torch.Generator().manual_seed(5)) + 0.5
    state = {f"unet.{path}.lora_A.weight": down, f"unet.{path}.lora_B.weight": up,
             f"unet.{path}.lora_magnitude_vector": magnitude}
    save_file(state, str(tmp_path / "peft_dora.safetensors"))
    merged = W + up @ down  # no alpha anywhere: scale 1
    row_norm = torch.sqrt((merged ** 2).sum(dim=1, keepdim=True))  # peft: one norm per output row
    ref = merged / row_norm * magnitude[:, None] - W
    info = applied(sd15, tmp_path / "peft_dora.safetensors", {("unet", path): ref})
    assert info["kinds"] == {"DoRA (LoRA)": 1}


def test_loha_with_cp_cores_and_lokr_with_both_sides_factored_apply_on_conv_layers(sd15, tmp_path):
    layer_w = _module(sd15, "unet", RESNET_CONV).weight  # (32, 32, 3, 3)
    r = 2
    t1, t2 = rnd(r, r, 3, 3), rnd(r, r, 3, 3)
    w1a, w1b, w2a, w2b = rnd(r, 32), rnd(r, 32), rnd(r, 32), rnd(r, 32)  # CP mode: w_a (rank, out), w_b (rank, in)
    name = kohya(RESNET_CONV)
    state = {f"{name}.hada_t1": t1, f"{name}.hada_t2": t2, f"{name}.hada_w1_a": w1a, f"{name}.hada_w1_b": w1b,
             f"{name}.hada_w2_a": w2a, f"{name}.hada_w2_b": w2b, f"{name}.alpha": torch.tensor(1.0)}

    def cp(t, wa, wb):  # out[o, i, h, w] = Σ_ab t[a, b, h, w] wa[a, o] wb[b, i]
        out = torch.zeros(32, 32, 3, 3)
        for a in range(r):
            for b in range(r):
                out += t[a, b][None, None] * wa[a][:, None, None, None] * wb[b][None, :, None, None]
        return out

    checks = {("unet", RESNET_CONV): 0.5 * cp(t1, w1a, w1b) * cp(t2, w2a, w2b)}
    assert layer_w.shape == (32, 32, 3, 3)
    # LoKr on conv_out (4, 32, 3, 3): w1 = a@b (2×4, rank 1), w2 = a@b (2×72 → (2, 8, 3, 3), rank 3); alpha 6 / 3
    k1a, k1b, k2a, k2b = rnd(2, 1), rnd(1, 4), rnd(2, 3), rnd(3, 8 * 9)
    kname = kohya("conv_out")
    state.update({f"{kname}.lokr_w1_a": k1a, f"{kname}.lokr_w1_b": k1b, f"{kname}.lokr_w2_a": k2a,
                  f"{kname}.lokr_w2_b": k2b, f"{kname}.alpha": torch.tensor(6.0)})
    w1, w2 = k1a @ k1b, (k2a @ k2b).reshape(2, 8, 3, 3)
    ref = torch.zeros(4, 32, 3, 3)
    for i in range(2):
        for j in range(4):
            ref[i * 2:(i + 1) * 2, j * 8:(j + 1) * 8] = w1[i, j] * w2
    checks[("unet", "conv_out")] = 2.0 * ref
    save_file(state, str(tmp_path / "cp.safetensors"))
    info = applied(sd15, tmp_path / "cp.safetensors", checks, multiplier=1.3)
    assert info["kinds"] == {"LoHa": 1, "LoKr": 1}


def test_a_full_difference_applies_and_its_bias_difference_is_reported_as_left_out(sd15, tmp_path):
    w = _module(sd15, "unet", ATTN).weight
    diff = rnd(*w.shape)
    name = kohya(ATTN)
    save_file({f"{name}.diff": diff, f"{name}.diff_b": rnd(w.shape[0])}, str(tmp_path / "full.safetensors"))
    info = applied(sd15, tmp_path / "full.safetensors", {("unet", ATTN): diff}, multiplier=0.5)
    assert info["kinds"] == {"full difference": 1} and info["unmatched"] == 0
    assert "1 modules applied without their diff_b (bias or norm weights)" in info["warning"]


def test_a_checkpoint_given_as_a_lora_is_refused_as_not_a_lora(sd15, tmp_path):
    save_file({"model.diffusion_model.input_blocks.0.0.weight": torch.zeros(4, 4, 3, 3),
               "model.diffusion_model.input_blocks.0.0.bias": torch.zeros(4)}, str(tmp_path / "ckpt.safetensors"))
    with pytest.raises(EngineError, match="ckpt.safetensors is not a LoRA file lorabias recognises.*model cell"):
        lora.inspect_lora_file(sd15, tmp_path / "ckpt.safetensors")
