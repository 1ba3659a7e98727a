"""CPU thread setting shared by the training scripts.

Measured on the 2-core build machine while another process kept one core busy: a training step took
0.32 s with 1 torch thread and 2.9 s with 2 (the threads' barriers stall when one core is taken).
So the default is 1 thread; set TRAIN_THREADS=2 on an otherwise idle machine.
"""

import os

import torch


def configure_threads() -> None:
    torch.set_num_threads(int(os.environ.get("TRAIN_THREADS", "1")))
