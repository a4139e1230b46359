"""botocore sessions whose service models are plain dicts: the same models, in about two thirds of the memory.

botocore decodes every model file (a service's API, the endpoint data) with ``object_pairs_hook=OrderedDict``.
Python's dicts keep insertion order, and botocore uses nothing of ``OrderedDict`` beyond it; an ``OrderedDict``
costs about twice a dict. An S3 client took 12.0 MB of memory, 7.8 MB with plain dicts (measured with
tracemalloc, botocore 1.44): what the trail's events get of the ingest budget of 150 MB (issue #14). The files
are decoded with orjson, which also makes a client quicker to create.

The loader is botocore's own (search paths, ``AWS_DATA_PATH``, its cache); only its ``file_loader`` is replaced,
through the public ``Loader.file_loader`` attribute and ``Session.register_component``.
"""

from __future__ import annotations

import gzip
import os
from typing import Any

import boto3
import botocore.session
import orjson
from botocore.loaders import JSONFileLoader, create_loader

# The extensions botocore's loader tries, in its order: a model shipped plain wins over the packaged gzip.
_OPENERS: tuple[tuple[str, Any], ...] = ((".json", open), (".json.gz", gzip.open))


class PlainJSONFileLoader(JSONFileLoader):
    """botocore's ``JSONFileLoader`` decoding into plain dicts (with orjson)."""

    def load_file(self, file_path: str) -> Any:
        """The decoded file at ``file_path`` (without its extension), or ``None`` if there is none."""
        for extension, opener in _OPENERS:
            full_path = file_path + extension
            if os.path.isfile(full_path):
                with opener(full_path, "rb") as handle:
                    return orjson.loads(handle.read())
        return None


def lean_botocore_session() -> botocore.session.Session:
    """A new botocore session (environment, profiles, ``AWS_DATA_PATH`` as usual) whose models are plain dicts."""
    core = botocore.session.get_session()
    loader = create_loader(core.get_config_variable("data_path"))
    loader.file_loader = PlainJSONFileLoader()
    core.register_component("data_loader", loader)
    return core


def lean_session(**options: Any) -> boto3.Session:
    """``boto3.Session(**options)`` on a lean botocore session."""
    return boto3.Session(botocore_session=lean_botocore_session(), **options)
