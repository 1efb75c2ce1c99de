"""Distributed runs: rank detection, the node lock, and real multi-process jobs."""
