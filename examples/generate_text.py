"""Local text generation: train a tiny character-level GRU, then sample from it.

No model is downloaded. The script trains a small character-level language
model on a public-domain text embedded below (the opening of the United States
Declaration of Independence, 1776) for a few hundred steps (~20 s on two CPU
cores), then generates text with temperature sampling. With so little text the
model mostly learns it by heart; try ``--train-steps 60`` to see it babble
instead. The point is a real train-then-infer workload whose energy you can
measure::

    wattlens run -- python examples/generate_text.py --chars 500
"""

from __future__ import annotations

import argparse
import os
import time

import torch
from torch import nn

# Public domain: the Declaration of Independence (1776), opening paragraphs.
TEXT = """\
When in the Course of human events, it becomes necessary for one people to \
dissolve the political bands which have connected them with another, and to \
assume among the powers of the earth, the separate and equal station to which \
the Laws of Nature and of Nature's God entitle them, a decent respect to the \
opinions of mankind requires that they should declare the causes which impel \
them to the separation.

We hold these truths to be self-evident, that all men are created equal, that \
they are endowed by their Creator with certain unalienable Rights, that among \
these are Life, Liberty and the pursuit of Happiness. That to secure these \
rights, Governments are instituted among Men, deriving their just powers from \
the consent of the governed, That whenever any Form of Government becomes \
destructive of these ends, it is the Right of the People to alter or to \
abolish it, and to institute new Government, laying its foundation on such \
principles and organizing its powers in such form, as to them shall seem most \
likely to effect their Safety and Happiness. Prudence, indeed, will dictate \
that Governments long established should not be changed for light and \
transient causes; and accordingly all experience hath shewn, that mankind are \
more disposed to suffer, while evils are sufferable, than to right themselves \
by abolishing the forms to which they are accustomed. But when a long train of \
abuses and usurpations, pursuing invariably the same Object evinces a design \
to reduce them under absolute Despotism, it is their right, it is their duty, \
to throw off such Government, and to provide new Guards for their future \
security. Such has been the patient sufferance of these Colonies; and such is \
now the necessity which constrains them to alter their former Systems of \
Government. The history of the present King of Great Britain is a history of \
repeated injuries and usurpations, all having in direct object the \
establishment of an absolute Tyranny over these States. To prove this, let \
Facts be submitted to a candid world.
"""


def usable_cpus() -> int:
    """CPUs this process may run on (affinity-aware), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class CharGRU(nn.Module):
    """Embedding → GRU → linear head over the character vocabulary."""

    def __init__(self, vocab: int, embed: int, hidden: int, layers: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, embed)
        self.gru = nn.GRU(embed, hidden, num_layers=layers, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(
        self, tokens: torch.Tensor, state: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        out, state = self.gru(self.embed(tokens), state)
        return self.head(out), state


@torch.no_grad()
def generate(
    model: CharGRU,
    prompt: torch.Tensor,
    n_chars: int,
    temperature: float,
    generator: torch.Generator,
) -> list[int]:
    """Feed the prompt, then sample one character at a time."""
    model.eval()
    logits, state = model(prompt.unsqueeze(0))
    last = logits[0, -1]
    out: list[int] = []
    for _ in range(n_chars):
        if temperature <= 0:
            nxt = int(last.argmax())
        else:
            probs = torch.softmax(last / temperature, dim=-1)
            nxt = int(torch.multinomial(probs, 1, generator=generator))
        out.append(nxt)
        logits, state = model(torch.tensor([[nxt]]), state)
        last = logits[0, -1]
    return out


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train-steps", type=int, default=300, help="optimiser steps (300)")
    parser.add_argument("--chars", type=int, default=1000, help="characters to generate (1000)")
    parser.add_argument("--temperature", type=float, default=0.7, help="0 = greedy (0.7)")
    parser.add_argument("--prompt", default="We hold these ")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seq-len", type=int, default=96)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--layers", type=int, default=1)
    parser.add_argument("--lr", type=float, default=5e-3)
    parser.add_argument("--log-every", type=int, default=50)
    parser.add_argument(
        "--threads", type=int, default=None, help="torch threads (default: usable CPUs)"
    )
    args = parser.parse_args()
    if args.train_steps < 0 or args.chars < 0:
        parser.error("--train-steps and --chars must not be negative")
    return args


def main() -> None:
    args = parse_args()
    torch.manual_seed(args.seed)
    threads = args.threads or usable_cpus()
    torch.set_num_threads(threads)
    generator = torch.Generator().manual_seed(args.seed)

    chars = sorted(set(TEXT))
    index = {c: i for i, c in enumerate(chars)}
    data = torch.tensor([index[c] for c in TEXT], dtype=torch.long)
    unknown = sorted({c for c in args.prompt if c not in index})
    if unknown:
        raise SystemExit(f"prompt has characters not in the training text: {unknown!r}")
    if len(data) <= args.seq_len + 1:
        raise SystemExit("--seq-len is longer than the training text")

    model = CharGRU(len(chars), embed=32, hidden=args.hidden, layers=args.layers)
    optimiser = torch.optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()
    n_params = sum(p.numel() for p in model.parameters())
    print(
        f"char GRU: {n_params / 1e3:.0f}k parameters, {len(chars)} characters, "
        f"{len(TEXT)} characters of text, {threads} thread(s)"
    )

    start = time.perf_counter()
    model.train()
    loss_value = float("nan")
    for step in range(1, args.train_steps + 1):
        offsets = torch.randint(
            len(data) - args.seq_len - 1, (args.batch_size,), generator=generator
        )
        batch = torch.stack([data[o : o + args.seq_len + 1] for o in offsets.tolist()])
        logits, _ = model(batch[:, :-1])
        loss = loss_fn(logits.reshape(-1, len(chars)), batch[:, 1:].reshape(-1))
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        loss_value = loss.item()
        if step % args.log_every == 0 or step == 1:
            print(f"step {step:4d}/{args.train_steps}  loss {loss_value:.3f}", flush=True)
    train_s = time.perf_counter() - start
    print(f"trained {args.train_steps} steps in {train_s:.1f} s; final loss {loss_value:.3f}")

    start = time.perf_counter()
    prompt = torch.tensor([index[c] for c in args.prompt], dtype=torch.long)
    sampled = generate(model, prompt, args.chars, args.temperature, generator)
    gen_s = time.perf_counter() - start
    print(f"--- generated (temperature {args.temperature}) ---")
    print(args.prompt + "".join(chars[i] for i in sampled))
    print("---")
    rate = args.chars / gen_s if gen_s > 0 else float("inf")
    print(f"generated {args.chars} characters in {gen_s:.2f} s ({rate:.0f} chars/s)")


if __name__ == "__main__":
    main()
