"""Exported key names match sd-scripts' for the real SD1.5 and SDXL architectures (built without weights), and
diffusers' own kohya converter maps every one of them back onto a real module."""
from __future__ import annotations

import pytest
import torch
from accelerate import init_empty_weights
from diffusers import UNet2DConditionModel
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

from lorabias_engine.kohya_keys import kohya_name, lora_target_paths
from lorabias_engine.models.configs import read_config


def empty(family):
    with init_empty_weights():
        unet = UNet2DConditionModel(**read_config(family, "unet"))
        te = CLIPTextModel(CLIPTextConfig(**read_config(family, "text_encoder")))
        te2 = CLIPTextModelWithProjection(CLIPTextConfig(**read_config("sdxl", "text_encoder_2"))) if family == "sdxl" else None
    return unet, te, te2


def names(prefix, model, family, unet, conv=False):
    return [kohya_name(prefix, p, family, unet) for p in lora_target_paths(model, conv=conv)]


@pytest.fixture(scope="module")
def sd15():
    return empty("sd15")


@pytest.fixture(scope="module")
def sdxl():
    return empty("sdxl")


def test_sd15_names_and_counts_match_sd_scripts(sd15):
    unet, te, _ = sd15
    unet_names, te_names = names("unet", unet, "sd15", unet), names("te", te, "sd15", unet)
    # sd-scripts: "create LoRA for Text Encoder: 72 modules." / "create LoRA for U-Net: 192 modules."
    assert len(unet_names) == 192 and len(te_names) == 72
    for expected in ("lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q",
                     "lora_unet_down_blocks_0_attentions_0_proj_in",
                     "lora_unet_mid_block_attentions_0_transformer_blocks_0_attn2_to_out_0",
                     "lora_unet_up_blocks_3_attentions_2_transformer_blocks_0_ff_net_0_proj",
                     "lora_unet_up_blocks_1_attentions_0_proj_out"):
        assert expected in unet_names
    assert "lora_te_text_model_encoder_layers_11_mlp_fc2" in te_names
    assert "lora_te_text_model_encoder_layers_0_self_attn_out_proj" in te_names


def test_sd15_conv_lora_names_follow_sd_scripts_locon(sd15):
    unet, _, _ = sd15
    conv = set(names("unet", unet, "sd15", unet, conv=True))
    assert {"lora_unet_down_blocks_0_resnets_0_conv1", "lora_unet_down_blocks_0_downsamplers_0_conv",
            "lora_unet_up_blocks_0_upsamplers_0_conv", "lora_unet_mid_block_resnets_1_time_emb_proj"} <= conv


def test_sdxl_names_use_the_sgm_layout_the_uis_load(sdxl):
    unet, te1, te2 = sdxl
    unet_names = names("unet", unet, "sdxl", unet)
    te1_names, te2_names = names("te1", te1, "sdxl", unet), names("te2", te2, "sdxl", unet)
    # sd-scripts SDXL: U-Net 722 modules, Text Encoder 1: 72, Text Encoder 2: 192
    assert (len(unet_names), len(te1_names), len(te2_names)) == (722, 72, 192)
    for expected in ("lora_unet_input_blocks_4_1_transformer_blocks_0_attn1_to_q",
                     "lora_unet_input_blocks_8_1_transformer_blocks_9_attn2_to_k",
                     "lora_unet_middle_block_1_transformer_blocks_9_ff_net_2",
                     "lora_unet_output_blocks_0_1_proj_in",
                     "lora_unet_output_blocks_5_1_transformer_blocks_1_attn1_to_out_0"):
        assert expected in unet_names
    assert not any("down_blocks" in n or "up_blocks" in n for n in unet_names)
    assert "lora_te2_text_model_encoder_layers_31_self_attn_q_proj" in te2_names
    assert "lora_te1_text_model_encoder_layers_11_mlp_fc1" in te1_names
    conv = set(names("unet", unet, "sdxl", unet, conv=True))
    assert {"lora_unet_input_blocks_1_0_in_layers_2", "lora_unet_input_blocks_3_0_op",
            "lora_unet_middle_block_2_out_layers_3", "lora_unet_output_blocks_2_2_conv",
            "lora_unet_output_blocks_8_0_skip_connection", "lora_unet_input_blocks_4_0_emb_layers_1"} <= conv


def test_diffusers_kohya_converter_maps_every_sdxl_name_to_an_existing_module(sdxl):
    from diffusers.loaders.lora_conversion_utils import (_convert_non_diffusers_lora_to_diffusers,
                                                         _maybe_map_sgm_blocks_to_diffusers)
    from diffusers.utils import convert_unet_state_dict_to_peft

    unet, te1, te2 = sdxl
    state = {}
    for n in names("unet", unet, "sdxl", unet) + names("te1", te1, "sdxl", unet) + names("te2", te2, "sdxl", unet):
        state[f"{n}.lora_down.weight"] = torch.zeros(1, 1)
        state[f"{n}.lora_up.weight"] = torch.zeros(1, 1)
        state[f"{n}.alpha"] = torch.tensor(1.0)
    state = _maybe_map_sgm_blocks_to_diffusers(state, unet.config)
    converted, alphas = _convert_non_diffusers_lora_to_diffusers(state)
    unet_sd = convert_unet_state_dict_to_peft({k[5:]: v for k, v in converted.items() if k.startswith("unet.")})
    modules = dict(unet.named_modules())
    paths = {k.rsplit(".lora_", 1)[0] for k in unet_sd}
    assert len(paths) == 722
    assert all(p in modules for p in paths), sorted(p for p in paths if p not in modules)[:5]
