"""Exceptions raised by the engine.

One small hierarchy: callers at the edge (the web app, the CLI) catch
:class:`FlowsError` and show its message; :class:`ValidationError` carries every
problem found at once so that a user can fix a whole file in one go.
"""

from __future__ import annotations

from collections.abc import Iterable


class FlowsError(Exception):
    """Base class of every error the engine raises on purpose."""


class ValidationError(FlowsError, ValueError):
    """Input frames or files failed validation; ``problems`` lists every problem found.

    Each problem is a :class:`Problem` (row, column, message) so that a caller can
    render it as a table, a form error or JSON.
    """

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: list[Problem] = list(problems)
        lines = [str(p) for p in self.problems]
        head = f"{len(self.problems)} problem(s) found"
        super().__init__(head + (":\n" + "\n".join(lines) if lines else ""))


class Problem:
    """One validation problem: where it is (``row``, ``column``) and what is wrong.

    ``row`` is the 1-based data row as a spreadsheet user counts it (header is row 1,
    so the first data row is 2) or ``None`` for a problem with the file as a whole.
    ``code`` names the kind of problem (``"required"``, ``"too_large"``...; see
    :data:`flows.listing_file.rules.PROBLEM_CODES`) and ``value`` the offending value, so
    that a caller can put the problem in its own words and language; the ``message``
    is the English text for files and the command line.
    """

    __slots__ = ("code", "column", "message", "row", "value")

    def __init__(
        self,
        message: str,
        *,
        row: int | None = None,
        column: str | None = None,
        code: str | None = None,
        value: str | None = None,
    ) -> None:
        self.message = message
        self.row = row
        self.column = column
        self.code = code
        self.value = value

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        return (", ".join(where) + ": " if where else "") + self.message

    def __repr__(self) -> str:
        return f"Problem({self.message!r}, row={self.row!r}, column={self.column!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Problem):
            return NotImplemented
        return (self.row, self.column, self.message) == (other.row, other.column, other.message)

    def __hash__(self) -> int:
        return hash((self.row, self.column, self.message))

    def as_dict(self) -> dict[str, object]:
        return {"row": self.row, "column": self.column, "message": self.message}


class UnknownCategory(FlowsError, KeyError):
    """A material category key is not in the taxonomy."""

    def __str__(self) -> str:  # KeyError quotes its argument; keep the message readable
        return str(self.args[0]) if self.args else ""


class InvalidEWCCode(FlowsError, ValueError):
    """A string is not shaped like an EWC code, or names a code that is not on the list."""


class SolverError(FlowsError, RuntimeError):
    """The min-cost-flow solver failed or reported an infeasible or unbounded instance."""
