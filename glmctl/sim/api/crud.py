"""Reads and writes of objects: get, list (with pagination), create, update, patch, delete."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any

import yaml

from glmctl.sim import tables
from glmctl.sim.api.base import HandlerBase, Target, in_version, number
from glmctl.sim.patches import APPLY, JSON_PATCH, MERGE, STRATEGIC
from glmctl.sim.selectors import (
    FieldSelector,
    LabelSelector,
)
from glmctl.sim.store import ApiError, Preconditions, bad_request

Obj = dict[str, Any]


def _encode_continue(rv: int, after: tuple[str, str]) -> str:
    raw = json.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": list(after)})
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode_continue(token: str) -> tuple[int, tuple[str, str]]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        return int(data["rv"]), (str(data["start"][0]), str(data["start"][1]))
    except (ValueError, KeyError, IndexError, TypeError, binascii.Error) as err:
        raise bad_request(f"continue key is not valid: {err}") from err


_CONTINUE_EXPIRED = (
    "The provided continue parameter is too old to display a consistent list result. You "
    "can start a new list without the continue parameter, or use the continue token in this "
    "response to retrieve the remainder of the results. Continuing with the provided token "
    "results in an inconsistent list - objects that were created, modified, or deleted "
    "between the time the first chunk was returned and now may show up in the list."
)


def _predicate(labels: LabelSelector, fields: FieldSelector) -> Callable[[Obj], bool] | None:
    """The filter a list or watch applies; None when both selectors are empty."""
    if labels.empty and fields.empty:
        return None
    if fields.empty:
        return lambda o: labels.matches((o.get("metadata") or {}).get("labels"))
    if labels.empty:
        return fields.matches
    return lambda o: labels.matches((o.get("metadata") or {}).get("labels")) and fields.matches(o)


def _sort_key(obj: Obj) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    return (str(meta.get("namespace") or ""), str(meta.get("name") or ""))


class CrudMixin(HandlerBase):
    """get, list, create, update, patch, delete and deletecollection."""

    def _do_get(self, target: Target, params: dict[str, str]) -> None:
        assert target.name is not None
        obj = target.view(self.state.store.read(target.stored, target.namespace, target.name))
        if self._wants_table():
            self._send_json(
                200,
                tables.table(
                    target.rt,
                    [obj],
                    include_object=params.get("includeObject", "Metadata"),
                    resource_version=obj["metadata"].get("resourceVersion", ""),
                    now=self.state.store.now(),
                ),
            )
            return
        self._send_json(200, obj)

    def _do_list(self, target: Target, params: dict[str, str]) -> None:
        labels, fields = self._selectors(target, params)
        after: tuple[str, str] | None = None
        token = params.get("continue")
        if token:
            token_rv, after = _decode_continue(token)
            self.state.store.check_not_compacted(token_rv, _CONTINUE_EXPIRED)
        items, rv = self.state.store.select(
            target.stored,
            target.namespace,
            _predicate(labels, fields),
            name=fields.exact_name(),
            after=after,
        )
        if token:
            rv = token_rv
        next_token, remaining = "", 0
        limit = int(number(params, "limit", 0))
        if limit > 0 and len(items) > limit:
            remaining = len(items) - limit
            items = items[:limit]
            next_token = _encode_continue(rv, _sort_key(items[-1]))
        if self._wants_table():
            body = tables.table(
                target.rt,
                items,
                include_object=params.get("includeObject", "Metadata"),
                resource_version=str(rv),
                continue_token=next_token,
                now=self.state.store.now(),
            )
            self._send_json(200, body)
            return
        metadata: Obj = {"resourceVersion": str(rv)}
        if next_token:
            metadata["continue"] = next_token
            metadata["remainingItemCount"] = remaining
        api_version = target.api_version
        self._send_json(
            200,
            {
                "kind": target.rt.list_kind,
                "apiVersion": api_version,
                "metadata": metadata,
                "items": [_list_item(target.view(o), target.rt.from_crd) for o in items],
            },
        )

    @staticmethod
    def _dry_run(params: dict[str, str], body: Any = None) -> bool:
        if params.get("dryRun") == "All":
            return True
        return isinstance(body, dict) and "All" in (body.get("dryRun") or [])

    def _respond_object(self, code: int, obj: Obj, target: Target) -> None:
        self._send_json(code, in_version(obj, target.api_version))

    def _do_create(self, target: Target, params: dict[str, str]) -> None:
        body = self._read_body()
        if not isinstance(body, dict):
            raise bad_request("the request body must be a JSON object")
        obj = self.state.store.create_object(
            target.rt,
            body,
            namespace=target.namespace,
            dry_run=self._dry_run(params),
            keep_status=False,
        )
        self._respond_object(201, obj, target)

    def _do_update(self, target: Target, params: dict[str, str]) -> None:
        assert target.name is not None
        body = self._read_body()
        if not isinstance(body, dict):
            raise bad_request("the request body must be a JSON object")
        obj = self.state.store.replace_object(
            target.rt,
            target.namespace,
            target.name,
            body,
            subresource=target.subresource,
            dry_run=self._dry_run(params),
        )
        self._respond_object(200, obj, target)

    def _do_patch(self, target: Target, params: dict[str, str]) -> None:
        assert target.name is not None
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip()
        if content_type == APPLY and target.subresource is None:
            self._do_apply(target, params)
            return
        if content_type not in (MERGE, JSON_PATCH, STRATEGIC):
            raise ApiError(
                415,
                "UnsupportedMediaType",
                f"the body of the request was in an unknown format - accepted media types "
                f"include: {JSON_PATCH}, {MERGE}, application/apply-patch+yaml"
                + (f", {STRATEGIC}" if not target.rt.from_crd else ""),
            )
        body = self._read_body()
        obj = self.state.store.patch_object(
            target.rt,
            target.namespace,
            target.name,
            content_type,
            body,
            subresource=target.subresource,
            dry_run=self._dry_run(params),
        )
        self._respond_object(200, obj, target)

    def _do_apply(self, target: Target, params: dict[str, str]) -> None:
        assert target.name is not None
        try:
            applied = yaml.safe_load(self._raw_body.decode() or "{}")
        except (yaml.YAMLError, UnicodeDecodeError) as err:
            raise bad_request(f"the apply configuration could not be decoded: {err}") from err
        if not isinstance(applied, dict):
            raise bad_request("the apply configuration must be an object")
        obj, created = self.state.store.apply_object(
            target.rt,
            target.namespace,
            target.name,
            applied,
            manager=params.get("fieldManager", ""),
            force=params.get("force") == "true",
            dry_run=self._dry_run(params),
        )
        self._respond_object(201 if created else 200, obj, target)

    def _delete_options(self, params: dict[str, str]) -> tuple[str | None, Preconditions, bool]:
        body = self._read_body()
        options = body if isinstance(body, dict) else {}
        pre = options.get("preconditions") or {}
        propagation = params.get("propagationPolicy") or options.get("propagationPolicy")
        if options.get("orphanDependents") is True and not propagation:
            propagation = "Orphan"
        return (
            propagation,
            Preconditions(pre.get("uid"), pre.get("resourceVersion")),
            self._dry_run(params, options),
        )

    def _do_delete(self, target: Target, params: dict[str, str]) -> None:
        assert target.name is not None
        propagation, pre, dry_run = self._delete_options(params)
        obj, gone_now = self.state.store.delete_object(
            target.rt,
            target.namespace,
            target.name,
            propagation=propagation,
            preconditions=pre,
            dry_run=dry_run,
        )
        if gone_now and not dry_run:
            details: Obj = {
                "name": target.name,
                "kind": target.rt.plural,
                "uid": obj["metadata"].get("uid"),
            }
            if target.rt.group:
                details["group"] = target.rt.group
            self._send_json(
                200,
                {
                    "kind": "Status",
                    "apiVersion": "v1",
                    "metadata": {},
                    "status": "Success",
                    "details": details,
                },
            )
            return
        self._respond_object(200, obj, target)

    def _do_deletecollection(self, target: Target, params: dict[str, str]) -> None:
        labels, fields = self._selectors(target, params)
        propagation, _, dry_run = self._delete_options(params)
        items, rv = self.state.store.select(target.rt, target.namespace, _predicate(labels, fields))
        deleted = []
        for obj in items:
            meta = obj["metadata"]
            try:
                last, _ = self.state.store.delete_object(
                    target.rt,
                    meta.get("namespace"),
                    meta["name"],
                    propagation=propagation,
                    dry_run=dry_run,
                )
            except ApiError as err:
                if err.code != 404:
                    raise
                continue
            deleted.append(in_version(last, target.api_version))
        self._send_json(
            200,
            {
                "kind": target.rt.list_kind,
                "apiVersion": target.api_version,
                "metadata": {"resourceVersion": str(rv)},
                "items": deleted,
            },
        )

    # --- access reviews ------------------------------------------------------------


def _list_item(obj: Obj, from_crd: bool) -> Obj:
    """As a real API server lists: a built-in list's items carry no apiVersion or kind
    (the list's kind says it); a custom resource's items, served as unstructured, do."""
    if from_crd:
        return obj
    return {key: value for key, value in obj.items() if key not in ("apiVersion", "kind")}
