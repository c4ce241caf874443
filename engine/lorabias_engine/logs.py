"""Logging to stderr only (stdout carries the protocol)."""
import logging
import os
import sys


def setup_logging() -> None:
    level = os.environ.get("LORABIAS_LOG", "INFO").upper()
    logging.basicConfig(stream=sys.stderr, level=getattr(logging, level, logging.INFO),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("diffusers", "transformers", "urllib3", "PIL"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
