"""One LeaP decoding step of the PyTorch peer (eager, no autograd), timed as `bench decode` times
the library's one-layer step: B=1, H=2, D=32, LeaP hidden 8, clamp 0.1, float32.

Usage: /usr/bin/python3 bench/peer_step.py PEER_DIR THREADS  -> one JSON line
"""
import json
import statistics
import sys
import time

peer, threads = sys.argv[1], int(sys.argv[2])
sys.path.insert(0, peer)
import torch  # noqa: E402
import leap_reference as L  # noqa: E402

torch.set_num_threads(threads)
g = torch.Generator().manual_seed(0)
B, H, D, HIDDEN = 1, 2, 32, 8
lq = L.make_leap_params(D, HIDDEN, g)
lk = L.make_leap_params(D, HIDDEN, g)
state = L.LeapCausalState(B, H, D, D)
x = torch.randn(B, H, D, generator=g)
with torch.no_grad():
    end = time.perf_counter() + 0.5
    while time.perf_counter() < end:
        L.leap_causal_step(state, x, x, x, lq, lk)
    t0 = time.perf_counter()
    L.leap_causal_step(state, x, x, x, lq, lk)
    one = time.perf_counter() - t0
    reps = int(max(30, min(3000, 1.0 / max(one, 1e-6))))
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        L.leap_causal_step(state, x, x, x, lq, lk)
        times.append((time.perf_counter() - t0) * 1e6)
print(json.dumps({"method": "peer_leap_step", "median_us": statistics.median(times), "min_us": min(times),
                  "reps": reps, "torch": torch.__version__, "threads": torch.get_num_threads()}))
