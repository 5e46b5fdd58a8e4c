"""docs/defaults.md is the schema's own table of defaults, sources and priors (issue 23)."""

from __future__ import annotations

from sim.config.defaults_table import NO_SOURCE, defaults_table, field_comments, priors_by_path
from sim.config.steps import AppraisalConfig
from tests.conftest import ROOT


def test_the_page_is_what_the_code_says() -> None:
    """Regenerate with ``python -m sim.config.defaults_table --write docs/defaults.md``."""
    assert (ROOT / "docs" / "defaults.md").read_text(encoding="utf-8") == defaults_table()


def test_a_field_takes_the_comment_right_above_it() -> None:
    comments = field_comments(AppraisalConfig)
    assert "due diligence" in comments["median_days"]
    assert comments["sigma_log"].startswith("no comment of its own")  # shares median_days' comment, said so
    assert "pass" in comments["pass_probability"] or "passing" in comments["pass_probability"]


def test_every_prior_and_every_field_is_in_the_table() -> None:
    text = defaults_table()
    for path in priors_by_path():
        section, name = path.split(".")[:2]
        assert f"`{name}`" in text.split(f"## `model.{section}`")[1].split("## ")[0], path
    assert sum(line.endswith(f"{NO_SOURCE} |") for line in text.splitlines()) == 0  # every default says where from
