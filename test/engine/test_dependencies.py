"""The engine's pinned dependencies satisfy each other as installed.

transformers 5.24 declares no peft requirement in its metadata; only its own PEFT integration
(PreTrainedModel.add_adapter/load_adapter/set_adapter…, integrations/peft.py MIN_PEFT_VERSION) checks for peft ≥ 0.22.0
at run time. The engine never calls those (it injects adapters with peft's inject_adapter_in_model), so peft 0.21.2
works with it; pip check cannot see that run-time minimum."""
from __future__ import annotations

import subprocess
import sys


def test_pip_check_finds_no_broken_requirements_in_the_engine_environment():
    r = subprocess.run([sys.executable, "-m", "pip", "check"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "No broken requirements found" in r.stdout

