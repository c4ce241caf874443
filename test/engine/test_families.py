"""The SD1.5 and SDXL code paths (VAE latents, two text encoders, SDXL's added conditioning, SGM key names) run
end to end on toy models of those families, and diffusers loads the SDXL export to the same images."""
from __future__ import annotations

import pytest
import torch

from lorabias_engine import lora
from lorabias_engine.models.configs import read_config
from lorabias_engine.models.loaded import LoadedModel
from lorabias_engine.protocol import JobContext
from lorabias_engine.sample import generate, initial_noise
from lorabias_engine.train import train


def toy(family: str) -> LoadedModel:
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection, CLIPTokenizer

    from lorabias_engine.models.configs import tokenizer_dir

    torch.manual_seed(0)
    tok_dir = tokenizer_dir("tiny")
    tok = CLIPTokenizer(str(tok_dir / "vocab.json"), str(tok_dir / "merges.txt"), model_max_length=77)
    te_cfg = dict(vocab_size=514, hidden_size=32, intermediate_size=37, num_attention_heads=4, num_hidden_layers=2,
                  projection_dim=32, bos_token_id=512, eos_token_id=513, pad_token_id=513)
    vae = AutoencoderKL(block_out_channels=[16, 32], in_channels=3, out_channels=3, latent_channels=4, norm_num_groups=8,
                        down_block_types=["DownEncoderBlock2D"] * 2, up_block_types=["UpDecoderBlock2D"] * 2, sample_size=64)
    common = dict(block_out_channels=(32, 64), layers_per_block=2, sample_size=32, in_channels=4, out_channels=4,
                  norm_num_groups=8)
    if family == "sdxl":
        unet = UNet2DConditionModel(**common, down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
                                    up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"), attention_head_dim=(2, 4),
                                    use_linear_projection=True, addition_embed_type="text_time", addition_time_embed_dim=8,
                                    transformer_layers_per_block=(1, 2), projection_class_embeddings_input_dim=80,
                                    cross_attention_dim=64)
        encoders = [CLIPTextModel(CLIPTextConfig(**te_cfg)), CLIPTextModelWithProjection(CLIPTextConfig(**te_cfg))]
        tokenizers = [tok, tok]
    else:
        unet = UNet2DConditionModel(**common, down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
                                    up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"), attention_head_dim=4,
                                    cross_attention_dim=32)
        encoders, tokenizers = [CLIPTextModel(CLIPTextConfig(**te_cfg))], [tok]
    for m in (unet, vae, *encoders):
        m.eval().requires_grad_(False)
    return LoadedModel(model_id=f"toy-{family}", family=family, source=f"toy-{family}.safetensors", unet=unet, vae=vae,
                       text_encoders=encoders, tokenizers=tokenizers, scheduler_config=read_config(family, "scheduler"),
                       device=torch.device("cpu"), dtype=torch.float32)


class OneModel:
    def __init__(self, model):
        self.model = model

    def resolve(self, params):
        return self.model


@pytest.mark.parametrize("family", ["sd15", "sdxl"])
def test_train_sample_and_reload_run_for_the_family(family, images, tmp_path):
    model = toy(family)
    out = tmp_path / f"{family}.safetensors"
    res = train({"images": [str(images["a"])], "output": str(out), "rank": 2, "steps": 3, "lr": 1e-2, "resolution": 64,
                 "train_text_encoder": True, "train_conv": True, "min_snr_gamma": 5.0, "noise_offset": 0.05,
                 "gradient_checkpointing": True, "scheduler": "cosine", "warmup_steps": 1, "batch_size": 2},
                JobContext("t"), OneModel(model))
    assert not model.unet.is_gradient_checkpointing  # switched off again after training
    assert res["steps_done"] == 3 and all(l == l for l in res["losses"])  # no NaN
    info = lora.apply_lora_file(model, out, "check", 1.0)
    assert info["unmatched"] == 0 and info["metadata"]["ss_base_model_version"] in ("sd_v1", "sdxl_base_v1-0")
    lora.remove_adapters(model, ["check"])
    image = generate(model, "a red disc", 1, steps=2, cfg=2.0, width=64, height=64)
    assert image.shape == (3, 64, 64)


def test_diffusers_loads_an_sdxl_export_with_sgm_names_to_the_engines_images(images, tmp_path):
    from diffusers import DDIMScheduler, StableDiffusionXLPipeline
    from safetensors import safe_open

    model = toy("sdxl")
    out = tmp_path / "xl.safetensors"
    train({"images": [str(images["a"])], "output": str(out), "rank": 4, "steps": 4, "lr": 3e-2, "resolution": 64,
           "train_text_encoder": True, "save_precision": "float"}, JobContext("t"), OneModel(model))
    with safe_open(str(out), "pt") as fh:
        keys = list(fh.keys())
    assert any(k.startswith("lora_unet_input_blocks_4_1_transformer_blocks_1_attn2_to_k") for k in keys)
    assert any(k.startswith("lora_te2_text_model_encoder_layers_1_") for k in keys)
    assert not any("down_blocks" in k for k in keys)

    def ours(loras):
        with lora.loras_applied(model, loras, "x") as names:
            lora.activate(model, names)
            return generate(model, "a red disc", 2, steps=3, cfg=2.0, width=64, height=64)

    base, mine = ours([]), ours([{"path": str(out), "weight": 1.0}])
    pipe = StableDiffusionXLPipeline(vae=model.vae, text_encoder=model.text_encoders[0], text_encoder_2=model.text_encoders[1],
                                     tokenizer=model.tokenizers[0], tokenizer_2=model.tokenizers[1], unet=model.unet,
                                     scheduler=DDIMScheduler.from_config(model.scheduler_config))
    pipe.set_progress_bar_config(disable=True)
    pipe.load_lora_weights(str(out))
    latents = pipe(prompt="a red disc", num_inference_steps=3, guidance_scale=2.0, height=64, width=64,
                   latents=initial_noise(model, 2, 64, 64), output_type="latent").images
    theirs = model.decode_latents(latents)[0]
    assert (mine - base).abs().max() > 0.01
    assert (mine - theirs).abs().max() < 2e-3
