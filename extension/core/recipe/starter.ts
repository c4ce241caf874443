// The commented starter recipe that "LoRA Bias: New Recipe" opens.
export const STARTER_RECIPE = `markdown: |
  # My slider
  Train a *copier* that locks the model onto one picture (A), then train the concept on an edited copy (A′)
  while the copier is applied: the LoRA learns only what the edit changed, and works as a slider (−1…+1).
---
# The base model: an SD1.5/SDXL .safetensors checkpoint, or the small embedded model that runs on CPU.
model:
  name: base
  checkpoint: builtin:tiny-shapes
---
# The picture(s) to lock onto, kohya layout: image files with same-name .txt captions.
dataset:
  name: original
  images: data/original
---
# The same picture(s) with only the concept changed.
dataset:
  name: edited
  images: data/edited
---
# Which tags travel with the concept in a dataset (run this on the dataset you would train naively).
analyze:
  dataset: original
  concept: large breasts
---
# The copy machine: trained until samples from any seed and prompt reproduce the dataset.
bias:
  name: copier
  model: base
  dataset: original
  rank: 16
  steps: 600
  until: { fidelity: 0.9 }
---
# The concept, learnt over the frozen copier; the copier is not part of the result.
target:
  name: slider
  over: [copier]
  dataset: edited
  rank: 4
  steps: 500
---
preview:
  lora: slider
  weights: [-1, -0.5, 0, 0.5, 1]
  prompts: ["1girl, solo, sweater, upper body"]
  seeds: [1, 2, 3]
---
export:
  lora: slider
  to: out/slider.safetensors
`;
