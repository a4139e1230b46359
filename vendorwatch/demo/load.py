"""Load the demo: the real CloudTrail recordings (through the AWS connector's importer) and the hand-made
incidents (through the ingest API, as a connector would), each under a collection run of its source."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from vendorwatch.clock import Clock
from vendorwatch.demo import PROJECT_ROOT
from vendorwatch.demo.incidents import DemoSource, sources
from vendorwatch.ingest.context import CollectContext
from vendorwatch.ingest.events import EventWriter
from vendorwatch.ingest.inventory import InventoryScope, load_grants, load_principals, load_settings
from vendorwatch.ingest.runs import Count, RunRecorder
from vendorwatch.ingest.tagging import RegistryIndex
from vendorwatch.registry.models import Registry

DATASETS = Path(os.environ.get("VENDORWATCH_DEMO_DATASETS", PROJECT_ROOT.parent / "shared" / "datasets"))
RECORDINGS = {
    "invictus-aws_dataset-stratus-2023-07-10.cloudtrail.json.gz": "tradesys-aws-dev",
    "otrf-ec2_proxy_s3_exfiltration-2020-09-14.ndjson.gz": "tradesys-aws-prod",
}


@dataclass
class DemoLoad:
    """What the demo stored."""

    recordings: dict[str, int] = field(default_factory=dict)  # file -> events stored
    missing: list[str] = field(default_factory=list)
    events: int = 0
    principals: int = 0


def _load_source(engine: Engine, registry: Registry, clock: Clock, demo: DemoSource, index: RegistryIndex) -> int:
    context = CollectContext.for_source(engine, registry, demo.source_id, clock)
    recorder = RunRecorder(engine, demo.source_id, clock, kind="import")
    writer = EventWriter(engine, source_id=demo.source_id, vendor_id=context.vendor.id, run_id=recorder.run_id)
    writer.add_all(index.tag(e, context.source.environment) for e in demo.events)
    counts = writer.flush()
    recorder.count(Count.STORED, counts.stored)
    with Session(engine) as session:
        scope = InventoryScope(demo.source_id, context.vendor.id, context.source.environment, recorder.run_id,
                               clock.now())
        load_principals(session, scope, demo.principals)
        load_grants(session, scope, demo.grants)
        load_settings(session, scope, demo.settings)
        session.commit()
    recorder.finish("success")
    return counts.stored


def load_demo(engine: Engine, registry: Registry, clock: Clock) -> DemoLoad:
    """Import the recordings found in ``DATASETS`` and the hand-made incidents; idempotent."""
    from connectors.aws.import_files import import_path

    result = DemoLoad()
    for name, source_id in RECORDINGS.items():
        path = DATASETS / name
        if not path.exists():
            result.missing.append(str(path))
            continue
        imported = import_path(CollectContext.for_source(engine, registry, source_id, clock), path)
        result.recordings[name] = imported.stored
    index = RegistryIndex.build(registry)
    for demo in sources():
        result.events += _load_source(engine, registry, clock, demo, index)
        result.principals += len(demo.principals)
    return result
