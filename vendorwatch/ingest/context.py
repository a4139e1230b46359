"""What a connector is given to collect one source."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from vendorwatch.clock import Clock
from vendorwatch.ingest.tagging import RegistryIndex
from vendorwatch.registry.models import Registry, Source, Vendor


@dataclass
class CollectContext:
    """One source to collect, with the registry in force, the database and the clock."""

    engine: Engine
    registry: Registry
    vendor: Vendor
    source: Source
    clock: Clock
    index: RegistryIndex
    show_progress: bool = False

    def declared_accounts(self) -> frozenset[str]:
        """The AWS accounts declared in the environments of the source's vendor: events of no other belong here."""
        return frozenset(account for environment in self.vendor.environments for account in environment.aws_accounts)

    @classmethod
    def for_source(cls, engine: Engine, registry: Registry, source_id: str, clock: Clock,
                   show_progress: bool = False) -> CollectContext:
        """Find a source by id in the registry; ``KeyError`` if it is not there."""
        for vendor in registry.vendors:
            for source in vendor.sources:
                if source.id == source_id:
                    return cls(engine, registry, vendor, source, clock, RegistryIndex.build(registry), show_progress)
        raise KeyError(source_id)
