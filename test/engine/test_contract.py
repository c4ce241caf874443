"""The engine side of the recipe contract: every request field the TypeScript core sends (listed, with the recipe keys
that reach it, in test/contract/engine-requests.json — the TS side is test/unit/contract/schemaContract.test.ts) is read
by the engine and changes what it does; every enum value the schema offers for those keys is accepted; and where the
schema states a default for a key the core leaves out, the engine's default is that value.

Adding a request field: list it in engine-requests.json, then add its probe to ENGINE_PROBES below — a function that
fails unless the engine uses the field (`cfg_probe` for a train field: the parsed config changes and the training
code reads that config attribute; `opt_probe` for a per-image sample option that `generate` takes; or a real call).
A new enum-valued field also needs an ACCEPTS entry, and a new default-bearing one a DEFAULTS entry.
"""
from __future__ import annotations

import inspect
import json
from pathlib import Path

import pytest
import torch
from safetensors import safe_open

from lorabias_engine.errors import EngineError
from lorabias_engine.export import DEFAULT_EXPORT_DTYPE, EXPORT_DTYPES, export
from lorabias_engine.models.loader import _check_family
from lorabias_engine.models.prediction import read_declared
from lorabias_engine.models.registry import DTYPES, resolve_device
from lorabias_engine.models.schedulers import SCHEDULERS, make_scheduler
from lorabias_engine.protocol import JobContext
from lorabias_engine.sample import generate, sample, sample_options
from lorabias_engine.train import train
from lorabias_engine.train_config import parse_train
from lorabias_engine.slider_config import parse_slider

from contract_probes import CONTRACT, ENGINE_PROBES, schema_of
from contract_values import ACCEPTS, DEFAULTS

@pytest.fixture(scope="module")
def fx(random_tiny, registry, images, tmp_path_factory):
    """A small trained LoRA on the random tiny model, and a sample request to vary one field at a time."""
    tmp = tmp_path_factory.mktemp("contract")
    lora = tmp / "l.safetensors"
    train({"model_id": random_tiny.model_id, "images": [str(images["a"])], "output": str(lora), "rank": 2, "steps": 2,
           "lr": 0.1, "resolution": 32}, JobContext("t"), registry)
    base = {"model_id": random_tiny.model_id, "prompts": ["a red disc"], "seeds": [1], "steps": 1,
            "loras": [{"path": str(lora), "weight": 0}], "weights": [0], "output_dir": str(tmp / "base")}
    return {"tmp": tmp, "lora": lora, "registry": registry, "model": random_tiny, "sample": base}


FIELDS = [(m, f) for m, fields in CONTRACT.items() for f in fields]


def test_every_request_field_the_core_sends_has_an_engine_probe():
    assert sorted(set(FIELDS) - set(ENGINE_PROBES)) == [], "add an ENGINE_PROBES entry for these fields"
    assert sorted(set(ENGINE_PROBES) - set(FIELDS)) == [], "probes for fields engine-requests.json no longer lists"


@pytest.mark.parametrize("method,field", FIELDS, ids=[f"{m}.{f}" for m, f in FIELDS])
def test_the_engine_reads_the_field(method, field, fx):
    probe = ENGINE_PROBES[(method, field)]
    result = probe(fx)
    assert result is None or result, f"{method}.{field}"


def _enum_fields():
    out = []
    for method, fields in CONTRACT.items():
        for field, spec in fields.items():
            values = {v for key in spec["keys"] for v in schema_of(key).get("enum", [])}
            if values:
                out.append((method, field, sorted(spec.get("values", {}).get(v, v) for v in values)))
    return out


@pytest.mark.parametrize("method,field,values", _enum_fields(), ids=[f"{m}.{f}" for m, f, _ in _enum_fields()])
def test_every_enum_value_the_schema_offers_is_accepted(method, field, values):
    assert (method, field) in ACCEPTS, f"{method}.{field} takes schema enum values: add an ACCEPTS entry"
    accept = ACCEPTS[(method, field)]
    if accept is None:
        return
    for value in values:
        accept(value)
    with pytest.raises(EngineError):
        accept("no-such-value")


def _default_fields():
    out = []
    for method, fields in CONTRACT.items():
        if method == "load":
            continue
        for field, spec in fields.items():
            defaults = {json.dumps(schema_of(key)["default"]) for key in spec["keys"] if "default" in schema_of(key)}
            if defaults:
                assert len(defaults) == 1, f"{method}.{field}: keys state different defaults {defaults}"
                out.append((method, field, json.loads(defaults.pop())))
    return out


@pytest.mark.parametrize("method,field,default", _default_fields(), ids=[f"{m}.{f}" for m, f, _ in _default_fields()])
def test_the_engine_default_is_the_schema_default(method, field, default):
    assert (method, field) in DEFAULTS, f"{method}.{field}: the schema states a default; add a DEFAULTS entry"
    assert DEFAULTS[(method, field)]() == default


def test_the_documented_family_dependent_sampling_defaults():
    # preview.cfg: "Default 7 (3 for tiny-shapes)"; clip_skip 1 is the plain last layer
    assert sample_options({}, "tiny")["cfg"] == 3.0 and sample_options({}, "sd15")["cfg"] == 7.0
    desc = schema_of("preview.cfg")["description"]
    assert "Default 7 (3 for tiny-shapes)" in desc


def test_clip_skip_1_is_the_default_conditioning(random_tiny):
    assert schema_of("model.clip_skip")["default"] == 1
    with torch.no_grad():
        assert torch.equal(random_tiny.encode_prompts(["a disc"], clip_skip=1)[0], random_tiny.encode_prompts(["a disc"])[0])


def test_samplers_offered_are_all_known_to_the_engine():
    assert set(schema_of("preview.sampler")["enum"]) <= set(SCHEDULERS)
    assert resolve_device("cpu").type == "cpu"
