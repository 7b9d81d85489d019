"""One optimizer step of the train command's default language model, in eager PyTorch.

The shapes of `train --task lm --attention softmax` (B=32, N=128, vocabulary 77, d_model 64, two
heads of 32, FFN 128, two pre-norm layers, dropout 0.1, tied embeddings, AdamW with clipping), to
set beside `bench train --tasks lm --attention softmax` in the same run:

    python3 bench/peer_lm_step.py [--threads 1] [--steps 60]

Prints the median and minimum step in ms after a tenth of the steps (at least 5) as warm-up.
"""
import argparse
import math
import time

import torch

p = argparse.ArgumentParser()
p.add_argument("--threads", type=int, default=1)
p.add_argument("--steps", type=int, default=60)
args = p.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(0)
B, N, V, DM, H, DH, FF, L = 32, 128, 77, 64, 2, 32, 128, 2


class Layer(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1, self.ln2 = torch.nn.LayerNorm(DM), torch.nn.LayerNorm(DM)
        self.qkv, self.o = torch.nn.Linear(DM, 3 * H * DH), torch.nn.Linear(H * DH, DM)
        self.f1, self.f2 = torch.nn.Linear(DM, FF), torch.nn.Linear(FF, DM)
        self.drop = torch.nn.Dropout(0.1)

    def forward(self, x, mask):
        q, k, v = self.qkv(self.ln1(x)).view(B, N, 3, H, DH).permute(2, 0, 3, 1, 4)
        a = (q @ k.transpose(-1, -2)) / math.sqrt(DH) + mask
        y = (a.softmax(-1) @ v).transpose(1, 2).reshape(B, N, H * DH)
        x = x + self.drop(self.o(y))
        return x + self.drop(self.f2(torch.nn.functional.gelu(self.f1(self.ln2(x)))))


class LM(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = torch.nn.Embedding(V, DM)
        self.layers = torch.nn.ModuleList([Layer() for _ in range(L)])
        self.ln = torch.nn.LayerNorm(DM)

    def forward(self, t, mask):
        x = self.emb(t)
        for layer in self.layers:
            x = layer(x, mask)
        return self.ln(x) @ self.emb.weight.t()


model = LM()
opt = torch.optim.AdamW(model.parameters(), 1e-3, weight_decay=0.01)
mask = torch.full((N, N), float("-inf")).triu(1)
tokens = torch.randint(0, V, (B, N))
labels = torch.randint(0, V, (B, N))
times = []
for i in range(args.steps):
    start = time.perf_counter()
    loss = torch.nn.functional.cross_entropy(model(tokens, mask).view(-1, V), labels.view(-1))
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    loss.item()
    times.append((time.perf_counter() - start) * 1e3)
timed = sorted(times[max(5, args.steps // 10):])
print("peer lm softmax step (torch %s, %d thread(s)): median %.1f ms, min %.1f ms"
      % (torch.__version__, args.threads, timed[len(timed) // 2], timed[0]))
