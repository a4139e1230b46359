"""The CloudTrail hot path stays plain code: records built from variables named like their fields, one
tagging rule (``RegistryIndex.place``), no module state rewritten, one named switch for the collector."""

from __future__ import annotations

import ast
import gc
import inspect
from pathlib import Path

import pytest

from connectors.aws import cloudtrail_parse
from connectors.aws.cloudtrail_files import paused_garbage_collector
from connectors.aws.cloudtrail_parse import LastTime, parse_record, transform_records
from tests.connectors.aws.conftest import CUSTOMER_BUCKET, FIRM_ACCOUNT, cloudtrail_record
from vendorwatch.ingest.objects import Rejected
from vendorwatch.ingest.tagging import RegistryIndex
from vendorwatch.records import AccessEventRecord

SOURCE = Path(inspect.getfile(cloudtrail_parse)).read_text(encoding="utf-8")


def _function(name: str) -> ast.FunctionDef:
    return next(node for node in ast.walk(ast.parse(SOURCE)) if isinstance(node, ast.FunctionDef) and node.name == name)


def test_the_record_is_built_from_variables_named_like_its_fields_in_field_order() -> None:
    returned = [node for node in ast.walk(_function("parse_record")) if isinstance(node, ast.Return)]
    assert len(returned) == 1
    call = returned[0].value
    assert isinstance(call, ast.Call) and isinstance(call.args[1], ast.Tuple)
    names = [element.id for element in call.args[1].elts if isinstance(element, ast.Name)]
    assert tuple(names) == AccessEventRecord._fields


def test_no_module_state_is_rewritten_and_tagging_has_one_rule() -> None:
    assert not [node for node in ast.walk(ast.parse(SOURCE)) if isinstance(node, ast.Global | ast.Nonlocal)]
    # The parser asks RegistryIndex.place, the rule RegistryIndex.tag follows, instead of repeating it.
    for lookup in ("bucket_environment", "account_environment", "bucket_class"):
        assert lookup not in SOURCE
    assert "index.place(" in SOURCE
    assert "self.place(" in inspect.getsource(RegistryIndex.tag)


def test_a_shared_last_time_gives_the_same_time_object_and_the_same_events() -> None:
    index = RegistryIndex(bucket_environment={CUSTOMER_BUCKET: "prod"}, bucket_class={CUSTOMER_BUCKET: "customer"},
                          account_environment={FIRM_ACCOUNT: "dev"})
    first = cloudtrail_record(event_id="a")
    second = cloudtrail_record(event_id="b")
    last = LastTime()
    one, two = parse_record(first, index, "x", last), parse_record(second, index, "x", last)
    assert one.event_time is two.event_time  # the writer converts a repeated time once
    assert (one, two) == (parse_record(first, index, "x"), parse_record(second, index, "x"))
    assert one == index.tag(parse_record(first), "x")
    assert (one.environment_id, one.data_class, one.customer_data) == ("prod", "customer", True)


def test_transform_rejects_what_cannot_be_stored_in_both_languages() -> None:
    broken = cloudtrail_record(event_id="gone")
    del broken["eventName"]
    items = list(transform_records([cloudtrail_record(event_id="ok"), broken], None, "env"))
    assert isinstance(items[0], AccessEventRecord) and items[0].environment_id == "env"
    assert isinstance(items[1], Rejected)
    assert items[1].reason.en == "record gone: missing eventName"
    assert "eventName がありません" in items[1].reason.ja


@pytest.mark.parametrize("enabled", [True, False])
def test_the_paused_collector_comes_back_as_it_was(enabled: bool) -> None:
    was = gc.isenabled()
    try:
        (gc.enable if enabled else gc.disable)()
        with pytest.raises(RuntimeError), paused_garbage_collector():
            assert not gc.isenabled()
            raise RuntimeError("the block fails")
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()
