"""Pure, sourced formulas: training energy, the inference roofline, uncertainty.

Each function computes one quantity from its inputs (floats or numpy arrays:
the same formula serves a point estimate and a Monte Carlo) and cites its
source; :mod:`wattlens.estimate` resolves names through the catalog, draws
the uncertain inputs and calls these. ``wattlens.models`` is the former name
of this package and stays importable.
"""
