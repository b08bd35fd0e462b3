"""The inference-profile catalog: which Regions each Bedrock inference profile routes to.

``load_catalog()`` reads the built-in data (``profiles.json``) on first use; nothing is loaded at
import time. Live refresh from AWS lives in ``rewriter.catalog.sync`` (needs boto3).
"""

from __future__ import annotations

from rewriter.catalog.loader import (
    ALL_COMMERCIAL,
    GEOGRAPHIES,
    Catalog,
    Profile,
    load_catalog,
    parse_bedrock_arn,
    read_profiles_file,
)

__all__ = [
    "ALL_COMMERCIAL",
    "GEOGRAPHIES",
    "Catalog",
    "Profile",
    "load_catalog",
    "parse_bedrock_arn",
    "read_profiles_file",
]
