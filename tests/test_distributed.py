"""VIANN under torch.distributed: a real two-process DDP run on the CPU (gloo), and Accelerate."""

import json
import socket
import subprocess
import sys

import numpy as np
import pytest
import torch
from torch import nn

from viann_sklearn import VarianceImportance

RANK = r"""
import json, os, sys
import numpy as np, torch
import torch.distributed as dist
from torch import nn
from skorch import NeuralNetClassifier
from viann_sklearn import VarianceImportance

rank, port = int(sys.argv[1]), sys.argv[2]
dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=2)
torch.manual_seed(0)  # the same initial weights on both ranks, as DDP expects
model = nn.parallel.DistributedDataParallel(nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 2)))
rng = np.random.default_rng(rank)  # each rank trains on its own shard
X = rng.normal(size=(200, 5)).astype(np.float32)
y = (X[:, 2] > 0).astype(np.int64)
net = NeuralNetClassifier(model, criterion=nn.CrossEntropyLoss, lr=0.1, max_epochs=5, batch_size=20,
                          train_split=None, verbose=0, callbacks=[VarianceImportance()])
net.fit(X, y)
viann = dict(net.callbacks_)["VarianceImportance"]
importances = getattr(viann, "feature_importances_", None)
print(json.dumps({"rank": rank, "param_name": viann.param_name_,
                  "importances": None if importances is None else importances.tolist()}), flush=True)
# Tear down in step: without the barrier one rank can destroy the group while gloo's threads in the
# other still talk to it, and the interpreter's own finalisation can then abort on those threads
# (SIGABRT, "terminate called without an active exception"; pytorch/pytorch#190489).
dist.barrier()
dist.destroy_process_group()
os._exit(0)
"""


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.skipif(not torch.distributed.is_available(), reason="torch without distributed support")
def test_ddp_tracks_the_unwrapped_input_layer_on_rank_zero_only():
    port = str(_free_port())
    ranks = [
        subprocess.Popen(
            [sys.executable, "-c", RANK, str(rank), port], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for rank in (0, 1)
    ]
    results = {}
    for process in ranks:
        stdout, stderr = process.communicate(timeout=240)
        assert process.returncode == 0, stderr
        result = json.loads(stdout.strip().splitlines()[-1])
        results[result["rank"]] = result
    main, other = results[0], results[1]
    assert main["param_name"] == "0.weight"  # inside DistributedDataParallel's `module.`
    assert np.argmax(main["importances"]) == 2
    assert other["importances"] is None and other["param_name"] is None


def test_skorch_accelerate_mixin_drives_a_net_with_the_callback():
    accelerate = pytest.importorskip("accelerate", reason="accelerate (test extra) is not installed")
    from skorch import NeuralNetClassifier
    from skorch.hf import AccelerateMixin

    class AcceleratedNet(AccelerateMixin, NeuralNetClassifier):
        pass

    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 5)).astype(np.float32)
    y = (X[:, 2] > 0).astype(np.int64)
    torch.manual_seed(0)
    net = AcceleratedNet(
        nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 2)),
        criterion=nn.CrossEntropyLoss,
        accelerator=accelerate.Accelerator(cpu=True),
        lr=0.1,
        max_epochs=5,
        train_split=None,
        verbose=0,
        callbacks=[VarianceImportance()],
    )
    net.fit(X, y)
    viann = dict(net.callbacks_)["VarianceImportance"]
    assert viann.n_samples_ == 6
    assert np.argmax(viann.feature_importances_) == 2
