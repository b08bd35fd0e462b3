"""Japanese through gettext: --lang ja or a ja locale; English stays the default; every message translated."""

from __future__ import annotations

import gettext
import re
import string
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rewriter.cli import app
from rewriter.i18n import LOCALE_DIR, Text, join, language, say, translations
from rewriter.templating import template_text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import compile_messages  # noqa: E402

SAMPLES = ROOT / "samples"
JP = "jp.anthropic.claude-sonnet-4-5-20250929-v1:0"
TOKYO = (str(SAMPLES / "tokyo-only.json"), "--profile", JP, "--source-region", "ap-northeast-1")
PO = LOCALE_DIR / "ja" / "LC_MESSAGES" / "scp-fix.po"
KANA = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
runner = CliRunner()


def test_every_english_message_has_a_japanese_translation() -> None:
    catalog = compile_messages.read_po(PO.read_text(encoding="utf-8"))
    messages = compile_messages.extract_messages()
    assert len(messages) > 100
    missing = [m for m in messages if not catalog.get(m)]
    assert missing == [], "translate these in rewriter/locale/ja/LC_MESSAGES/scp-fix.po (scripts/compile_messages.py --update)"


def test_translations_keep_every_placeholder_and_no_stale_entries() -> None:
    catalog = compile_messages.read_po(PO.read_text(encoding="utf-8"))
    messages = compile_messages.extract_messages()

    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    assert [m for m in catalog if m and fields(m) != fields(catalog[m])] == []
    assert [m for m in catalog if m and m not in messages] == []


def test_the_compiled_catalogue_is_the_po_compiled() -> None:
    assert PO.with_suffix(".mo").read_bytes() == compile_messages.compiled(PO)
    assert compile_messages.problems() == []


def test_the_mo_reads_as_gnu_gettext_writes_it(tmp_path: Path) -> None:
    import shutil
    import subprocess

    if shutil.which("msgfmt") is None:
        pytest.skip("GNU gettext's msgfmt is not installed")
    subprocess.run(["msgfmt", "--check", "-o", str(tmp_path / "gnu.mo"), str(PO)], check=True, capture_output=True)
    with open(tmp_path / "gnu.mo", "rb") as gnu, open(PO.with_suffix(".mo"), "rb") as ours:
        assert gettext.GNUTranslations(gnu)._catalog == gettext.GNUTranslations(ours)._catalog


@pytest.mark.parametrize(
    ("option", "environ", "expected"),
    [
        (None, {}, "en"),
        (None, {"LANG": "ja_JP.UTF-8"}, "ja"),
        (None, {"LC_ALL": "ja_JP.UTF-8", "LANG": "en_US.UTF-8"}, "ja"),
        (None, {"LC_ALL": "C", "LANG": "ja_JP.UTF-8"}, "en"),  # LC_ALL wins, as in the C library
        ("ja", {"LANG": "en_US.UTF-8"}, "ja"),
        ("en", {"LANG": "ja_JP.UTF-8"}, "en"),
    ],
)
def test_language(option, environ, expected) -> None:
    assert language(option, environ) == expected


def test_text_is_its_english_and_says_itself_in_japanese() -> None:
    text = Text("{region} is not in the allowed Regions of {statement}", region="ap-northeast-3",
                statement=Text("statement {number} ({sid}, line {line})", number=1, sid="DenyOutsideTokyo", line=4))
    assert text == "ap-northeast-3 is not in the allowed Regions of statement 1 (DenyOutsideTokyo, line 4)"
    assert say(text) == text
    assert say(join("; ", [text, text]), translations("ja")) == "; ".join(
        ["ap-northeast-3 は ステートメント 1 (DenyOutsideTokyo、4 行目) が許可するリージョンに含まれていません"] * 2
    )


def _run(*args: str, env: dict[str, str] | None = None):
    return runner.invoke(app, list(args), env={"LC_ALL": "", "LC_MESSAGES": "", "LANG": "", **(env or {})})


@pytest.mark.parametrize("how", ["option", "LANG", "LC_ALL"])
def test_check_text_in_japanese(how: str) -> None:
    if how == "option":
        result = _run("check", *TOKYO, "--lang", "ja")
    else:
        result = _run("check", *TOKYO, env={how: "ja_JP.UTF-8"})
    assert result.exit_code == 1
    assert "ブロック" in result.stdout and "ステートメント 1 (DenyOutsideTokyo、4 行目)" in result.stdout
    assert "ap-northeast-3" in result.stdout  # Region codes stay
    english = _run("check", *TOKYO)
    assert not KANA.search(english.stdout) and "BLOCKED" in english.stdout


def test_propose_summary_and_markdown_in_japanese() -> None:
    summary = _run("propose", *TOKYO, "--lang", "ja")
    assert summary.exit_code == 1
    assert "提案 (profile-arn)" in summary.stderr and "新たに許可されるもの:" in summary.stderr
    assert "bedrock:InvokeModel" in summary.stderr and "推論プロファイル" in summary.stderr
    body = _run("propose", *TOKYO, "--format", "markdown", env={"LANG": "ja_JP.UTF-8"}).stdout
    headings = [line for line in body.splitlines() if line.startswith("##")]
    assert headings and all(KANA.search(h) or "Control Tower" in h for h in headings)
    assert "```diff" in body and f"scp-fix check {SAMPLES / 'tokyo-only.json'}" in body
    # the JSON stays the contract, in English, whatever the language
    json_body = _run("propose", *TOKYO, "--format", "json", "--lang", "ja").stdout
    assert not KANA.search(json_body)


def test_broad_in_japanese_names_the_service() -> None:
    result = _run("propose", *TOKYO, "--strategy", "notaction", "--broad", "--lang", "ja")
    assert "すべての Bedrock アクション (" in result.stderr


def test_every_template_has_a_japanese_twin_with_the_same_fields() -> None:
    for name in ("pull-request", "no-safe-change"):
        english, japanese = template_text(f"{name}.md"), template_text(f"{name}.ja.md")
        assert set(re.findall(r"\$\{(\w+)\}", english)) == set(re.findall(r"\$\{(\w+)\}", japanese))
        assert KANA.search(japanese)


def test_explain_in_japanese() -> None:
    message = (ROOT / "tests" / "data" / "messages" / "seed_console_ja.txt").read_text(encoding="utf-8")
    result = runner.invoke(
        app, ["explain", "-", "--policy", str(SAMPLES / "tokyo-only.json"), "--lang", "ja"], input=message,
        env={"LC_ALL": "", "LANG": ""},
    )
    assert result.exit_code == 0, result.output
    assert "拒否された" in result.stdout and "すべての商用リージョン" in result.stdout
    assert "The denied resource" not in result.stdout and "us-east-2" in result.stdout
    english = runner.invoke(app, ["explain", "-", "--policy", str(SAMPLES / "tokyo-only.json")], input=message)
    assert "The denied resource is the model in us-east-2" in english.stdout and not KANA.search(english.stdout)
