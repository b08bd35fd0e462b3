"""AWS Region codes by partition: plain constants, no I/O.

Checked against botocore 1.44.8 ``data/partitions.json`` and the Region codes that appear in
/work/shared/reference (bedrock-cris.md, inference-profiles.yaml): every code those files use is here.
Opt-in Regions are included, since Bedrock routes cross-Region calls to them even when an account has
not opted in. Update this file when AWS opens a Region.
"""

from __future__ import annotations

__all__ = [
    "COMMERCIAL",
    "GOVCLOUD",
    "CHINA",
    "EUSC",
    "ALL_COMMERCIAL",
    "ALL_REGIONS",
    "REGION_NAMES",
    "UNSPECIFIED",
    "is_region_code",
    "unknown_region_note",
    "partition_of",
]

# The value Bedrock puts in aws:RequestedRegion for the Region-less global foundation-model evaluation.
UNSPECIFIED = "unspecified"

# (code, name) per partition, in code order.
_COMMERCIAL: tuple[tuple[str, str], ...] = (
    ("af-south-1", "Africa (Cape Town)"),
    ("ap-east-1", "Asia Pacific (Hong Kong)"),
    ("ap-east-2", "Asia Pacific (Taipei)"),
    ("ap-northeast-1", "Asia Pacific (Tokyo)"),
    ("ap-northeast-2", "Asia Pacific (Seoul)"),
    ("ap-northeast-3", "Asia Pacific (Osaka)"),
    ("ap-south-1", "Asia Pacific (Mumbai)"),
    ("ap-south-2", "Asia Pacific (Hyderabad)"),
    ("ap-southeast-1", "Asia Pacific (Singapore)"),
    ("ap-southeast-2", "Asia Pacific (Sydney)"),
    ("ap-southeast-3", "Asia Pacific (Jakarta)"),
    ("ap-southeast-4", "Asia Pacific (Melbourne)"),
    ("ap-southeast-5", "Asia Pacific (Malaysia)"),
    ("ap-southeast-6", "Asia Pacific (New Zealand)"),
    ("ap-southeast-7", "Asia Pacific (Thailand)"),
    ("ca-central-1", "Canada (Central)"),
    ("ca-west-1", "Canada West (Calgary)"),
    ("eu-central-1", "Europe (Frankfurt)"),
    ("eu-central-2", "Europe (Zurich)"),
    ("eu-north-1", "Europe (Stockholm)"),
    ("eu-south-1", "Europe (Milan)"),
    ("eu-south-2", "Europe (Spain)"),
    ("eu-west-1", "Europe (Ireland)"),
    ("eu-west-2", "Europe (London)"),
    ("eu-west-3", "Europe (Paris)"),
    ("il-central-1", "Israel (Tel Aviv)"),
    ("me-central-1", "Middle East (UAE)"),
    ("me-south-1", "Middle East (Bahrain)"),
    ("me-west-1", "Middle East (Saudi Arabia)"),
    ("mx-central-1", "Mexico (Central)"),
    ("sa-east-1", "South America (Sao Paulo)"),
    ("sa-west-1", "South America (Chile)"),
    ("us-east-1", "US East (N. Virginia)"),
    ("us-east-2", "US East (Ohio)"),
    ("us-west-1", "US West (N. California)"),
    ("us-west-2", "US West (Oregon)"),
)
_GOVCLOUD: tuple[tuple[str, str], ...] = (
    ("us-gov-east-1", "AWS GovCloud (US-East)"),
    ("us-gov-west-1", "AWS GovCloud (US-West)"),
)
_CHINA: tuple[tuple[str, str], ...] = (
    ("cn-north-1", "China (Beijing)"),
    ("cn-northwest-1", "China (Ningxia)"),
)
_EUSC: tuple[tuple[str, str], ...] = (("eusc-de-east-1", "AWS European Sovereign Cloud (Germany)"),)

COMMERCIAL: tuple[str, ...] = tuple(code for code, _ in _COMMERCIAL)
GOVCLOUD: tuple[str, ...] = tuple(code for code, _ in _GOVCLOUD)
CHINA: tuple[str, ...] = tuple(code for code, _ in _CHINA)
EUSC: tuple[str, ...] = tuple(code for code, _ in _EUSC)

# What AWS means by "Commercial AWS Regions" as the destinations of a global profile.
ALL_COMMERCIAL: tuple[str, ...] = COMMERCIAL
ALL_REGIONS: tuple[str, ...] = COMMERCIAL + GOVCLOUD + CHINA + EUSC
REGION_NAMES: dict[str, str] = dict(_COMMERCIAL + _GOVCLOUD + _CHINA + _EUSC)

_PARTITIONS: tuple[tuple[tuple[str, ...], str], ...] = (
    (COMMERCIAL, "aws"),
    (GOVCLOUD, "aws-us-gov"),
    (CHINA, "aws-cn"),
    (EUSC, "aws-eusc"),
)


def is_region_code(code: str) -> bool:
    """True for a real AWS Region code (any partition above); False for ``unspecified`` and typos."""
    return code in REGION_NAMES


def unknown_region_note(code: str) -> str | None:
    """None for a known Region code (or ``unspecified``); else a sentence naming the nearest known code.

    Unknown codes are warned about, not refused: AWS opens Regions newer than this file, and a
    typo (us-est-2) is as visible in the warning as a new Region is."""
    if code in REGION_NAMES or code == "unspecified":
        return None
    import difflib

    nearest = difflib.get_close_matches(code, REGION_NAMES, n=1, cutoff=0.6)
    hint = f"nearest known: {nearest[0]}" if nearest else "no known code is close"
    return f"{code!r} is not a Region scp-fix knows ({hint})"


def partition_of(code: str) -> str:
    """The ARN partition of a Region: ``aws``, ``aws-us-gov``, ``aws-cn`` or ``aws-eusc``.

    Unknown codes get a partition from their prefix, so a Region newer than this file still
    yields a usable ARN.
    """
    for codes, partition in _PARTITIONS:
        if code in codes:
            return partition
    if code.startswith("us-gov-"):
        return "aws-us-gov"
    if code.startswith("cn-"):
        return "aws-cn"
    if code.startswith("eusc-"):
        return "aws-eusc"
    return "aws"
