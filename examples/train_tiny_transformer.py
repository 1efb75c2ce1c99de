"""Train a tiny transformer language model on CPU — real AI work to measure.

A 2-layer causal transformer learns to predict the next token of sequences
drawn from a fixed random Markov chain (each token has a few likely
successors). The chain's entropy rate is the best loss any model can reach, so
the printed loss falls from ln(vocab) towards that floor and you can see it
learn. Runs in well under a minute on two CPU cores; no downloads.

Measure the whole run from outside::

    wattlens run -- python examples/train_tiny_transformer.py

or, with ``--wattlens``, each epoch inside the script with the per-step API
(``wattlens.Meter`` windows)::

    python examples/train_tiny_transformer.py --wattlens
"""

from __future__ import annotations

import argparse
import math
import os
import time
from typing import Any

import torch
from torch import nn


def usable_cpus() -> int:
    """CPUs this process may run on (affinity-aware), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class MarkovSource:
    """Sequences from a fixed random Markov chain with a few likely successors per token."""

    def __init__(self, vocab: int, branching: int, generator: torch.Generator) -> None:
        logits = torch.full((vocab, vocab), -1e9)
        for i in range(vocab):
            successors = torch.randperm(vocab, generator=generator)[:branching]
            logits[i, successors] = torch.randn(branching, generator=generator)
        self.transition = torch.softmax(logits, dim=-1)
        self.vocab = vocab
        self.generator = generator

    def entropy_rate(self) -> float:
        """Lower bound on the achievable cross-entropy (nats/token), under the stationary law."""
        p = self.transition
        stationary = torch.full((self.vocab,), 1.0 / self.vocab)
        for _ in range(200):
            stationary = stationary @ p
        row_entropy = -(p * torch.log(p.clamp_min(1e-12))).sum(dim=-1)
        return float((stationary * row_entropy).sum())

    def batch(self, batch_size: int, seq_len: int) -> torch.Tensor:
        tokens = torch.empty(batch_size, seq_len + 1, dtype=torch.long)
        tokens[:, 0] = torch.randint(self.vocab, (batch_size,), generator=self.generator)
        for t in range(seq_len):
            probs = self.transition[tokens[:, t]]
            tokens[:, t + 1] = torch.multinomial(probs, 1, generator=self.generator).squeeze(1)
        return tokens


class TinyTransformerLM(nn.Module):
    """Token + learned position embeddings, a causal TransformerEncoder, a tied output head."""

    def __init__(self, vocab: int, d_model: int, n_heads: int, n_layers: int, max_len: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, d_model)
        self.pos = nn.Embedding(max_len, d_model)
        layer = nn.TransformerEncoderLayer(
            d_model,
            n_heads,
            dim_feedforward=4 * d_model,
            dropout=0.0,
            batch_first=True,
            norm_first=True,
        )
        self.encoder = nn.TransformerEncoder(layer, n_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab, bias=False)
        self.head.weight = self.embed.weight
        nn.init.normal_(self.embed.weight, std=0.02)  # tied: keep the first logits small
        nn.init.normal_(self.pos.weight, std=0.02)
        self.register_buffer(
            "causal_mask", nn.Transformer.generate_square_subsequent_mask(max_len), persistent=False
        )

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        seq_len = tokens.shape[1]
        positions = torch.arange(seq_len, device=tokens.device)
        x = self.embed(tokens) + self.pos(positions)
        mask = self.causal_mask[:seq_len, :seq_len]
        x = self.encoder(x, mask=mask, is_causal=True)
        return self.head(self.norm(x))


def train(
    args: argparse.Namespace,
    *,
    model: nn.Module,
    source: MarkovSource,
    optimiser: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    per_epoch: list[int],
    meter: Any,
) -> tuple[int, float]:
    """Run the epochs, each in its own wattlens window when ``meter`` is given."""
    loss_fn = nn.CrossEntropyLoss()
    step = 0
    loss_value = float("nan")
    model.train()
    for epoch, n_steps in enumerate(per_epoch):
        if n_steps == 0:
            continue
        window = f"epoch-{epoch + 1}"
        if meter is not None:
            meter.begin(window)
        for _ in range(n_steps):
            tokens = source.batch(args.batch_size, args.seq_len)
            logits = model(tokens[:, :-1])
            loss = loss_fn(logits.reshape(-1, args.vocab), tokens[:, 1:].reshape(-1))
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            scheduler.step()
            step += 1
            loss_value = loss.item()
            if step % args.log_every == 0 or step == 1:
                print(f"step {step:4d}/{args.steps}  loss {loss_value:.3f}", flush=True)
        if meter is not None:
            result = meter.end(window)
            print(
                f"  {window}: {n_steps} steps, {result.duration_s:.2f} s, "
                f"{result.energy_j:.1f} J, {result.avg_power_w:.1f} W "
                f"({', '.join(result.methods) or 'no method'})",
                flush=True,
            )
    return step, loss_value


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=200, help="optimiser steps (default 200)")
    parser.add_argument("--epochs", type=int, default=4, help="steps are split into this many")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seq-len", type=int, default=64)
    parser.add_argument("--vocab", type=int, default=64)
    parser.add_argument("--d-model", type=int, default=128)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--log-every", type=int, default=25, help="print the loss every N steps")
    parser.add_argument(
        "--threads", type=int, default=None, help="torch threads (default: usable CPUs)"
    )
    parser.add_argument(
        "--wattlens",
        action="store_true",
        help="measure each epoch in a wattlens.Meter window and print its energy",
    )
    args = parser.parse_args()
    if args.steps < 1 or args.epochs < 1:
        parser.error("--steps and --epochs must be at least 1")
    return args


def main() -> None:
    args = parse_args()
    torch.manual_seed(args.seed)
    threads = args.threads or usable_cpus()
    torch.set_num_threads(threads)

    data_gen = torch.Generator().manual_seed(args.seed)
    source = MarkovSource(args.vocab, branching=3, generator=data_gen)
    model = TinyTransformerLM(args.vocab, args.d_model, args.heads, args.layers, args.seq_len)
    optimiser = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, max_lr=args.lr, total_steps=args.steps, pct_start=0.1
    )
    n_params = sum(p.numel() for p in model.parameters())
    print(
        f"tiny transformer: {n_params / 1e3:.0f}k parameters, {args.layers} layers, "
        f"d_model {args.d_model}, vocab {args.vocab}, {threads} thread(s)"
    )
    print(
        f"loss floor (chain entropy rate) {source.entropy_rate():.3f} nats; "
        f"uniform guess {math.log(args.vocab):.3f}"
    )

    meter = None
    if args.wattlens:
        import wattlens  # only when asked: wattlens is not needed to train

        # No timeline: a window costs one sensor read at begin and one at end.
        meter = wattlens.Meter()

    # Split the steps into epochs as evenly as possible.
    per_epoch = [
        args.steps // args.epochs + (1 if e < args.steps % args.epochs else 0)
        for e in range(args.epochs)
    ]
    start = time.perf_counter()
    try:
        step, loss_value = train(
            args,
            model=model,
            source=source,
            optimiser=optimiser,
            scheduler=scheduler,
            per_epoch=per_epoch,
            meter=meter,
        )
    finally:
        if meter is not None:
            meter.close()
    elapsed = time.perf_counter() - start
    loss_fn = nn.CrossEntropyLoss()
    model.eval()
    with torch.no_grad():
        tokens = source.batch(256, args.seq_len)
        logits = model(tokens[:, :-1])
        eval_loss = loss_fn(logits.reshape(-1, args.vocab), tokens[:, 1:].reshape(-1)).item()
    print(f"final train loss {loss_value:.3f}; held-out loss {eval_loss:.3f}")
    print(f"trained {step} steps in {elapsed:.1f} s ({step / elapsed:.1f} steps/s)")


if __name__ == "__main__":
    main()
