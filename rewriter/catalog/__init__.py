"""The inference-profile catalog: which Regions each Bedrock inference profile routes to.

``model`` holds the records and look-ups, ``entries`` the checks of a profiles file (its JSON
Schema is ``profiles.schema.json``), ``loader`` the reading; ``load_catalog()`` reads the built-in
data (``profiles.json``) when called, nothing at import time, and keeps nothing: its caller passes
the ``Catalog`` down. Live refresh from AWS lives in ``rewriter.catalog.sync`` (needs boto3).
"""

from __future__ import annotations

from rewriter.catalog.loader import load_catalog, read_profiles_file
from rewriter.catalog.model import (
    ALL_COMMERCIAL,
    GEOGRAPHIES,
    Announced,
    Catalog,
    Profile,
    parse_bedrock_arn,
)

__all__ = [
    "ALL_COMMERCIAL",
    "GEOGRAPHIES",
    "Announced",
    "Catalog",
    "Profile",
    "load_catalog",
    "parse_bedrock_arn",
    "read_profiles_file",
]
