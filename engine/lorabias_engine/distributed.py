"""Training on several GPUs: one process per GPU under `accelerate launch`, gradients all-reduced (DDP).

The single-process path (the JSON-lines server) uses `SINGLE`, which does nothing.
"""
from __future__ import annotations

import os

import torch


class Single:
    world, rank, is_main = 1, 0, True

    def wrap(self, unet):
        return unet

    def agree(self, flag: bool) -> bool:
        return flag

    def barrier(self) -> None:
        pass


SINGLE = Single()


class DataParallel(Single):
    """One rank of a multi-process run started by `accelerate launch --multi_gpu` (or torchrun), which set
    RANK/WORLD_SIZE/LOCAL_RANK/MASTER_ADDR: DDP-wrapped UNet (NCCL on GPUs, gloo on CPU); rank 0 decides and writes."""

    def __init__(self):
        import torch.distributed as td

        self.rank, self.world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
        self.local_rank = int(os.environ.get("LOCAL_RANK", self.rank))
        self.is_main = self.rank == 0
        if torch.cuda.is_available():
            self.device = torch.device("cuda", self.local_rank)
            torch.cuda.set_device(self.device)
        else:
            self.device = torch.device("cpu")
        if not td.is_initialized():
            td.init_process_group(backend="nccl" if self.device.type == "cuda" else "gloo")

    def wrap(self, unet):
        from torch.nn.parallel import DistributedDataParallel

        ids = [self.device.index] if self.device.type == "cuda" else None
        return DistributedDataParallel(unet, device_ids=ids)

    def agree(self, flag: bool) -> bool:
        value = torch.tensor([1.0 if flag else 0.0], device=self.device)
        torch.distributed.broadcast(value, src=0)
        return bool(value.item())

    def barrier(self) -> None:
        torch.distributed.barrier()

    def close(self) -> None:
        if torch.distributed.is_initialized():
            torch.distributed.destroy_process_group()


def from_environment() -> Single:
    """DataParallel when launched as one of several processes, else the single-process no-op."""
    return DataParallel() if int(os.environ.get("WORLD_SIZE", "1")) > 1 else SINGLE
