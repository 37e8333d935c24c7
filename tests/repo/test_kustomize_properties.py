"""Property tests: enabling and disabling are inverse edits over generated kustomizations."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from glmctl.repo.kustomize_edit import disable_resources, enable_resources, undo_enable

NAMES = st.from_regex(r"\A[a-z][a-z0-9-]{0,10}(/[a-z0-9-]{1,6})?\.ya?ml\Z")


@dataclass(frozen=True)
class Layout:
    """A generated kustomization and what is known about its resources."""

    text: str
    live: list[str]
    commented: list[str]
    marker: str
    flow: bool


def _quote(name: str, quote: str) -> str:
    return f"{quote}{name}{quote}"


@st.composite
def kustomizations(draw: st.DrawFn, *, flow: bool | None = None) -> Layout:
    names = draw(st.lists(NAMES, min_size=1, max_size=7, unique=True))
    is_flow = draw(st.booleans()) if flow is None else flow
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    quote = draw(st.sampled_from(["", '"', "'"]))
    marker = draw(st.sampled_from(["# ", "#"]))
    indent = draw(st.sampled_from(["", "  ", "    "]))
    lines: list[str] = []
    if draw(st.booleans()):
        lines.append("---")
    if draw(st.booleans()):
        lines.append("# generated: " + "x" * draw(st.integers(0, 150)))
    lines += ["apiVersion: kustomize.config.k8s.io/v1beta1", "kind: Kustomization"]
    if draw(st.booleans()):
        lines.append("namespace: authentik")
    live: list[str] = []
    commented: list[str] = []
    if is_flow:
        live = names
        lines.append("resources: [" + ", ".join(_quote(n, quote) for n in names) + "]")
    else:
        lines.append("resources:")
        states = draw(st.lists(st.booleans(), min_size=len(names), max_size=len(names)))
        for name, is_live in zip(names, states, strict=True):
            if draw(st.booleans()):
                lines.append("")
            note = draw(st.sampled_from(["", "  # note", "   # why: 'quoted' - dash"]))
            if is_live:
                live.append(name)
                lines.append(f"{indent}- {_quote(name, quote)}{note}")
            else:
                commented.append(name)
                lines.append(f"{indent}{marker}- {_quote(name, quote)}{note}")
    if draw(st.booleans()):
        lines += ["patches:", f"{indent}- path: patch.yaml", f"{indent}# - {names[0]}"]
    text = newline.join(lines)
    if draw(st.booleans()):
        text += newline
    return Layout(text, live, commented, marker, is_flow)


@settings(max_examples=60, deadline=None)
@given(kustomizations(), st.data())
def test_enable_after_disable_is_the_identity_for_an_enabled_entry(
    layout: Layout, data: st.DataObject
) -> None:
    assume(layout.live)
    # A flow list re-adds at the end, so only its last entry round-trips; and an emptied
    # flow list has no quote style left to copy.
    assume(not layout.flow or len(layout.live) > 1)
    entry = data.draw(st.sampled_from(layout.live))
    if layout.flow:
        entry = layout.live[-1]
    disabled = disable_resources(layout.text, [entry])
    assert disabled.new_text != layout.text
    assert enable_resources(disabled.new_text, [entry]).new_text == layout.text


@settings(max_examples=60, deadline=None)
@given(kustomizations(flow=False), st.data())
def test_disable_after_enable_is_the_identity_for_a_commented_entry(
    layout: Layout, data: st.DataObject
) -> None:
    assume(layout.commented)
    # With no other comment to copy, disabling writes the default "# " marker.
    assume(layout.marker == "# " or len(layout.commented) >= 2)
    entry = data.draw(st.sampled_from(layout.commented))
    enabled = enable_resources(layout.text, [entry])
    assert [c.action for c in enabled.changed] == ["uncommented"]
    assert disable_resources(enabled.new_text, [entry]).new_text == layout.text


@settings(max_examples=60, deadline=None)
@given(kustomizations(), st.data())
def test_undo_enable_is_the_identity_for_any_mix_of_entries(
    layout: Layout, data: st.DataObject
) -> None:
    known = layout.live + layout.commented
    chosen = data.draw(st.lists(st.sampled_from(known), unique=True)) if known else []
    absent = data.draw(st.lists(NAMES.filter(lambda n: n not in known), max_size=2, unique=True))
    enabled = enable_resources(layout.text, chosen + absent)
    assert undo_enable(enabled.new_text, enabled).new_text == layout.text


@settings(max_examples=60, deadline=None)
@given(kustomizations())
def test_noop_edits_return_identical_text(layout: Layout) -> None:
    assert enable_resources(layout.text, layout.live).new_text == layout.text
    assert disable_resources(layout.text, layout.commented).new_text == layout.text


@settings(max_examples=60, deadline=None)
@given(kustomizations(), st.data())
def test_only_the_edited_lines_change(layout: Layout, data: st.DataObject) -> None:
    known = layout.live + layout.commented
    entry = data.draw(st.sampled_from(known))
    result = enable_resources(layout.text, [entry])
    old_lines = layout.text.splitlines()
    new_lines = result.new_text.splitlines()
    if entry in layout.live:
        assert new_lines == old_lines
    else:
        assert len(new_lines) == len(old_lines)
        differing = [i for i, (a, b) in enumerate(zip(old_lines, new_lines, strict=True)) if a != b]
        assert len(differing) == 1
        assert entry in new_lines[differing[0]]
