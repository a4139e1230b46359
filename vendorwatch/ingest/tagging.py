"""Tag events with what the registry says about where they happened: environment and data class."""

from __future__ import annotations

from dataclasses import dataclass, field

from vendorwatch.records import AccessEventRecord
from vendorwatch.registry.models import Registry


@dataclass
class RegistryIndex:
    """Lookups built once from the registry: AWS account → environment, bucket → environment and class."""

    account_environment: dict[str, str] = field(default_factory=dict)
    bucket_environment: dict[str, str] = field(default_factory=dict)
    bucket_class: dict[str, str] = field(default_factory=dict)
    environment_vendor: dict[str, str] = field(default_factory=dict)
    environment_kind: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(cls, registry: Registry) -> RegistryIndex:
        """Index a registry."""
        index = cls()
        for vendor in registry.vendors:
            for environment in vendor.environments:
                index.environment_vendor[environment.id] = vendor.id
                index.environment_kind[environment.id] = environment.kind
                for account in environment.aws_accounts:
                    index.account_environment[account] = environment.id
                for bucket in environment.buckets:
                    index.bucket_environment[bucket.name] = environment.id
                    index.bucket_class[bucket.name] = bucket.data_class
        return index

    def place(self, bucket: str | None, account: str | None, environment: str | None,
              data_class: str | None = None) -> tuple[str | None, str | None]:
        """(environment, data class) of an event: the rule every way of tagging follows.

        The environment is the bucket's, else the account's, else ``environment`` (what the event or its
        source says); the data class is the bucket's when the event names a bucket, else ``data_class``.
        The CloudTrail parser calls this once per event, so it stays a few dict lookups.
        """
        if bucket:
            return (self.bucket_environment.get(bucket)
                    or (self.account_environment.get(account) if account else None)
                    or environment), self.bucket_class.get(bucket)
        if account:
            return self.account_environment.get(account) or environment, data_class
        return environment, data_class

    def tag(self, event: AccessEventRecord, default_environment: str | None) -> AccessEventRecord:
        """The event with environment, data class and customer-data flag filled in."""
        environment, data_class = self.place(event.bucket, event.account_id,
                                             event.environment_id or default_environment, event.data_class)
        return event._replace(
            environment_id=environment,
            data_class=data_class,
            customer_data=event.customer_data or data_class == "customer",
        )
