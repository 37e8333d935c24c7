"""The run's shared reads: one list for every step, fresh for a retry, cleared by a write."""

from __future__ import annotations

from typing import Any

from glmctl.cluster import resources
from glmctl.steps._reads import reads
from glmctl.steps.registry import StepContext


class CountingCluster:
    """Stands in for the cluster handle: answers lists, counts them, accepts deletes."""

    def __init__(self) -> None:
        self.lists = 0
        self.pods = [{"metadata": {"name": "a"}}]

    def list(self, rt: Any, namespace: str | None = None, **options: Any) -> list[Any]:
        self.lists += 1
        return list(self.pods)

    def delete(self, rt: Any, name: str, namespace: str | None = None) -> dict[str, Any]:
        self.pods = [p for p in self.pods if p["metadata"]["name"] != name]
        return {}


def context(step_id: str, cluster: CountingCluster) -> StepContext:
    return StepContext(step_id=step_id, cluster_provider=lambda: cluster)


def test_steps_share_one_list_and_a_step_reads_it_once() -> None:
    cluster = CountingCluster()
    first = reads(context("one", cluster))
    first.objects(resources.POD, "authentik")
    first.by_name(resources.POD, "authentik")
    reads(context("two", cluster)).objects(resources.POD, "authentik")

    assert cluster.lists == 1


def test_a_retry_reads_again_and_others_then_see_the_fresh_list() -> None:
    cluster = CountingCluster()
    reads(context("one", cluster)).objects(resources.POD, "authentik")
    cluster.pods.append({"metadata": {"name": "b"}})

    retry = reads(context("one", cluster)).objects(resources.POD, "authentik")
    other = reads(context("two", cluster)).objects(resources.POD, "authentik")

    assert cluster.lists == 2
    assert len(retry) == len(other) == 2


def test_a_write_through_the_handle_clears_the_cache() -> None:
    cluster = CountingCluster()
    reads(context("one", cluster)).objects(resources.POD, "authentik")
    cluster.delete(resources.POD, "a", "authentik")

    after = reads(context("two", cluster)).objects(resources.POD, "authentik")

    assert after == []
    assert cluster.lists == 2
