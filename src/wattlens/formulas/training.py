"""Training energy from first principles: pure formulas, one per quantity.

Two routes reach accelerator-seconds, then energy:

1. **From accelerator-hours** (or count x days), as published in model cards.
2. **From parameters and tokens**: training compute ``C = 6 N D`` FLOPs
   (Kaplan et al. 2020, "Scaling Laws for Neural Language Models", sec. 2.1:
   forward ``2N`` + backward ``4N`` FLOPs per token, N = non-embedding
   parameters; for mixture-of-experts N is the *active* parameter count). The
   attention term ``6 n_layer n_ctx d_model`` per token is omitted: Kaplan
   et al. show it is small when ``d_model >> n_ctx / 12``, true of every large
   model in the catalog (it would add ~2-5 % at 2k-8k context for 7B-405B
   models). Time on the hardware is ``C / (peak FLOP/s x MFU)`` with MFU the
   model-FLOP utilisation (Chowdhery et al. 2022, PaLM, sec. 4.1 / App. B).

Energy at each boundary, per accelerator-second:

- ``accelerator``: TDP x power fraction (average board power / TDP);
- ``server``: adds host CPU, DRAM, network and fans per accelerator, as a
  fraction of the accelerator TDP;
- ``facility``: server energy x PUE.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

# Numbers or numpy arrays: the same formulas serve point estimates and Monte Carlo.
F = TypeVar("F", float, "npt.NDArray[np.float64]")


SECONDS_PER_HOUR = 3600.0


def training_flops(params_active: F, tokens: F) -> F:
    """Training compute in FLOPs: ``6 N D`` (Kaplan et al. 2020, sec. 2.1).

    Args:
        params_active: parameters used per token (all of them for dense models).
        tokens: training tokens.

    Returns:
        FLOPs.
    """
    return 6.0 * params_active * tokens


def accelerator_seconds_from_flops(flops: F, peak_flops: F | float, mfu: F) -> F:
    """Accelerator-seconds to deliver ``flops`` at a model-FLOP utilisation.

    Args:
        flops: training compute in FLOPs.
        peak_flops: dense peak of one accelerator at the training precision, FLOP/s.
        mfu: model-FLOP utilisation in (0, 1] (PaLM, Chowdhery et al. 2022, App. B).

    Returns:
        Accelerator-seconds.
    """
    return flops / (peak_flops * mfu)


def accelerator_energy_j(accelerator_s: F, tdp_w: F | float, power_fraction: F) -> F:
    """Energy of the accelerators alone: seconds x TDP x average-power fraction, in J."""
    return accelerator_s * tdp_w * power_fraction


def host_energy_j(accelerator_s: F, tdp_w: F | float, host_fraction: F) -> F:
    """Energy of the host share (CPU, DRAM, network, fans) per accelerator-second, in J.

    The host draw is expressed as a fraction of the accelerator's TDP.
    """
    return accelerator_s * tdp_w * host_fraction


def facility_energy_j(server_energy_j: F, pue: F) -> F:
    """Facility energy: IT energy x power usage effectiveness (The Green Grid, PUE).

    Delegates to :func:`wattlens.impacts.apply_pue`, the one place PUE is applied.
    """
    from wattlens.impacts import apply_pue

    return apply_pue(server_energy_j, pue)  # type: ignore[no-any-return]
