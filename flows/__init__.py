"""Reststroom's pure matching engine: taxonomy, candidates, optimal allocation, CO2.

The public entry point is :func:`propose` (with :class:`Params` and :class:`Proposals`).
Importing the package loads numpy and pandas only; the solvers, the spatial index and
the geo stack are imported when a proposal is first computed.

Examples
--------
>>> import flows
>>> flows.Params(objective="tonnes").objective
'tonnes'
"""

from __future__ import annotations

from flows.propose import Params, Proposals, propose

__all__ = ["Params", "Proposals", "propose"]
