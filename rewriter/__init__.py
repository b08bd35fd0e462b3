"""scp-fix: find and fix SCP region restrictions that break Amazon Bedrock cross-Region inference."""

from __future__ import annotations

__version__ = "0.1.0"
