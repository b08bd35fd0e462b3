"""The bit grid behind "newly allowed": the evaluator's yes or no for every action x context x Region at once.

Bit ``c * len(regions) + r`` of an action's mask is set when the request for that action on the group's
``resources[r]`` in ``regions[r]``, with context keys ``contexts[c]``, is allowed. A statement applies
when its action test, its resource test and every condition pass, and only the first reads the action:
so each statement's cells are worked out once, and each action then costs one action test per
statement. ``tests/test_newly_allowed.py`` holds every cell to ``Evaluator.allowed``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rewriter.evaluate import Evaluator, Request, _region
from rewriter.model import Policy

__all__ = ["Grid"]


class Grid:
    """One grid's Regions and contexts, asked about several policies (a policy and its fixes).

    The rows it keeps depend only on a statement's patterns or predicate (predicates are shared between
    equal conditions), so the statements of the policies compared, mostly alike, share them."""

    __slots__ = ("evaluator", "regions", "contexts", "_region_rows", "_resource_rows")

    def __init__(self, evaluator: Evaluator, regions: Sequence[str], contexts: Sequence[Mapping[str, Any]]) -> None:
        self.evaluator = evaluator
        self.regions = tuple(regions)
        self.contexts = tuple(contexts)
        self._region_rows: dict[Any, int] = {}
        self._resource_rows: dict[tuple[tuple[str, ...], tuple[str, ...]], int] = {}

    def _region_row(self, predicate: Any) -> int:
        """Bit r: the Region condition holds for ``regions[r]``."""
        row = self._region_rows.get(predicate)
        if row is None:
            row = self._region_rows[predicate] = sum(
                1 << r for r, region in enumerate(self.regions) if predicate((region,))
            )
        return row

    def _resource_row(self, patterns: tuple[str, ...], resources: tuple[str, ...], test: Any) -> int:
        """Bit r: a pattern matches ``resources[r]``."""
        row = self._resource_rows.get((patterns, resources))
        if row is None:
            row = self._resource_rows[(patterns, resources)] = sum(
                1 << r for r, arn in enumerate(resources) if test[arn]
            )
        return row

    def answers(
        self,
        policy: Policy,
        groups: Sequence[tuple[Sequence[str], Sequence[str]]],
        *,
        full_access: bool = True,
    ) -> tuple[list[list[int]], int]:
        """For groups of actions that each have their own resources, (actions, resources) each: one mask
        per action. A statement's conditions, which read neither, are worked out once for all the groups.
        Also returns how many tests were made (the "newly allowed" grid reports it)."""
        regions, contexts = self.regions, self.contexts
        width = len(regions)
        row = (1 << width) - 1
        every_context = sum(1 << (c * width) for c in range(len(contexts)))  # a row repeated per context
        everything = row * every_context
        # A context's requests differ only in their Region and resource, which the non-Region conditions
        # do not read: one request per context answers those.
        probes = [Request(action="", resource="", region="", context=context) for context in contexts]
        group_resources = [tuple(resources) for _, resources in groups]
        tests = 0
        cells = []  # each statement's cells, in each group
        for compiled in self.evaluator.compiled(policy).statements:
            if compiled.action is None:
                continue  # no Action/NotAction: matches nothing
            mask = everything
            for getter, predicate in compiled.conditions:
                if not mask:
                    break
                if getter is _region:
                    mask &= self._region_row(predicate) * every_context
                    tests += width
                else:
                    mask &= sum(row << (c * width) for c, probe in enumerate(probes) if predicate(getter(probe)))
                    tests += len(probes)
            if compiled.resource is None or not mask:
                cells.append((compiled, [mask] * len(groups)))
                continue
            statement = compiled.statement
            listed = statement.resource if statement.resource is not None else statement.not_resource
            in_groups = []
            for resources in group_resources:
                hits = self._resource_row(listed.items, resources, compiled.resource)  # type: ignore[union-attr]
                in_groups.append(mask & (row & ~hits if compiled.resource_negated else hits) * every_context)
                tests += width
            cells.append((compiled, in_groups))
        answers: list[list[int]] = []
        for group, (actions, _) in enumerate(groups):
            denies = [(c.action, c.action_negated, masks[group]) for c, masks in cells if c.is_deny and masks[group]]
            allows = [] if full_access else [
                (c.action, c.action_negated, masks[group]) for c, masks in cells if not c.is_deny and masks[group]
            ]
            answer: list[int] = []
            for action in actions:
                allowed_cells = everything if full_access else 0
                for test, negated, mask in allows:
                    if test[action] != negated:
                        allowed_cells |= mask
                for test, negated, mask in denies:
                    if allowed_cells and test[action] != negated:
                        allowed_cells &= ~mask
                answer.append(allowed_cells)
            tests += len(actions) * (len(allows) + len(denies))
            answers.append(answer)
        return answers, tests
