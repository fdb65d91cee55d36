"""The PyTorch peer of the fine-tuning bench: a BERT-shaped encoder (post-layer-norm, GELU, CLS head) written
with torch.nn, the same architecture and shapes as the product's tfjs model, timed for one training step
(forward, backward, AdamW) on the CPU threads given. Prints one JSON line."""
import argparse, json, math, time
import torch
import torch.nn as nn


class Layer(nn.Module):
    def __init__(self, h, heads, inter):
        super().__init__()
        self.heads = heads
        self.q, self.k, self.v, self.o = (nn.Linear(h, h) for _ in range(4))
        self.n1, self.n2 = nn.LayerNorm(h, eps=1e-12), nn.LayerNorm(h, eps=1e-12)
        self.up, self.down = nn.Linear(h, inter), nn.Linear(inter, h)

    def forward(self, x, bias):
        b, t, h = x.shape
        d = h // self.heads
        split = lambda y: y.view(b, t, self.heads, d).transpose(1, 2)
        scores = split(self.q(x)) @ split(self.k(x)).transpose(-1, -2) / math.sqrt(d) + bias
        ctx = (scores.softmax(-1) @ split(self.v(x))).transpose(1, 2).reshape(b, t, h)
        x = self.n1(self.o(ctx) + x)
        return self.n2(self.down(nn.functional.gelu(self.up(x))) + x)


class Bert(nn.Module):
    def __init__(self, vocab, h, layers, heads, inter, positions, classes):
        super().__init__()
        self.word, self.pos, self.token_type = nn.Embedding(vocab, h), nn.Embedding(positions, h), nn.Embedding(2, h)
        self.norm = nn.LayerNorm(h, eps=1e-12)
        self.layers = nn.ModuleList(Layer(h, heads, inter) for _ in range(layers))
        self.pool, self.out = nn.Linear(h, h), nn.Linear(h, classes)

    def forward(self, ids, mask):
        t = ids.shape[1]
        x = self.norm(self.word(ids) + self.pos(torch.arange(t))[None] + self.token_type.weight[0])
        bias = ((1 - mask) * -10000.0)[:, None, None, :]
        for layer in self.layers:
            x = layer(x, bias)
        return self.out(torch.tanh(self.pool(x[:, 0])))


def main():
    p = argparse.ArgumentParser()
    for name, default in [('layers', 4), ('hidden', 256), ('heads', 4), ('intermediate', 1024), ('vocab', 8000), ('seq', 128), ('batch', 16), ('steps', 5), ('threads', 2)]:
        p.add_argument(f'--{name}', type=int, default=default)
    a = p.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(a.threads)
    model = Bert(a.vocab, a.hidden, a.layers, a.heads, a.intermediate, 512, 2)
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-5, weight_decay=0.01)
    ids = torch.randint(5, a.vocab, (a.batch, a.seq))
    mask = torch.ones(a.batch, a.seq)
    y = torch.randint(0, 2, (a.batch,))
    times = []
    for step in range(a.steps + 2):
        start = time.perf_counter()
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(ids, mask), y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        if step >= 2:
            times.append(time.perf_counter() - start)
    times.sort()
    print(json.dumps({'seconds_per_step': times[len(times) // 2], 'torch': torch.__version__, 'threads': torch.get_num_threads()}))


if __name__ == '__main__':
    main()
