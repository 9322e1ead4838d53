"""amazcope.parse on every saved page, judged like ../shared/fixtures/score.py judges the CLI."""

import importlib.util
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import pytest

import amazcope
from conftest import runs_while
from amazcope import errors


def load_score(pages: Path) -> ModuleType:
    path = pages.parent / "score.py"
    assert path.is_file(), f"score.py not found beside the pages at {path}"
    spec = importlib.util.spec_from_file_location("amazcope_score", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def truth(pages: Path) -> dict[str, dict[str, str]]:
    rows: dict[str, dict[str, str]] = {}
    for line in (pages / "TRUTH.tsv").read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) >= 3 and parts[0] != "file":
            rows.setdefault(parts[0], {})[parts[1]] = parts[2]
    return rows


def as_json_shape(page: amazcope.Page) -> dict[str, object]:
    """What `amazcope parse --json` shows, from the Python object."""
    d = page.to_dict()
    d["bsr"] = [{"rank": r, "category": c} for r, c in page.bsr]
    return d


def test_every_fixture_page_scores_like_the_cli(pages: Path) -> None:
    score = load_score(pages)
    rows = truth(pages)
    files = sorted(f for f in rows if (pages / f).is_file())
    assert len(files) >= 50, f"only {len(files)} pages with truth rows under {pages}"
    total = good = wrong_prices = 0
    misses = []
    for f in files:
        got = as_json_shape(amazcope.parse((pages / f).read_bytes()))
        items = got.get("items") or []
        for field, tv in rows[f].items():
            if field in ("kind", "marketplace", "asin"):
                ok, wrong = score.norm_space(tv) == score.norm_space(got.get(field)), False
            elif field == "first_asin":
                first = items[0].get("asin") if items else None
                ok, wrong = score.norm_space(tv) == score.norm_space(first), False
            elif field == "item_count":
                ok, wrong = score.to_int(tv) == len(items), False
            else:
                ok, wrong = score.compare(field, tv, got.get(field))
            total += 1
            good += ok
            wrong_prices += wrong
            if not ok:
                misses.append(f"{f}: {field}: truth={tv!r} got={got.get(field)!r}")
    pct = 100.0 * good / total
    assert wrong_prices == 0, "\n".join(misses)
    assert pct >= 98.0, f"{good}/{total} = {pct:.1f}%\n" + "\n".join(misses)


def test_product_page_has_typed_fields(pages: Path) -> None:
    page = amazcope.parse((pages / "com_dp_B07FNW9FGJ.html").read_text(encoding="utf-8"))
    assert page.kind == "product"
    assert page.marketplace == "com"
    assert page.asin == "B07FNW9FGJ"
    assert isinstance(page.price, Decimal)
    assert page.currency == "USD"
    assert isinstance(page.review_count, int)
    assert page.bsr and all(isinstance(r, int) and isinstance(c, str) for r, c in page.bsr)
    d = page.to_dict()
    assert d["asin"] == "B07FNW9FGJ" and d["price"] == page.price and d["items"] == []
    assert "B07FNW9FGJ" in repr(page)


def test_str_and_bytes_give_the_same_page(pages: Path) -> None:
    raw = (pages / "co.uk_dp_B00004YS4O.html").read_bytes()
    assert amazcope.parse(raw).to_dict() == amazcope.parse(raw.decode("utf-8", "replace")).to_dict()


def test_non_product_pages_have_their_kind(pages: Path) -> None:
    rows = truth(pages)
    for f, fields in rows.items():
        if fields.get("kind") == "bestsellers":
            page = amazcope.parse((pages / f).read_bytes())
            assert page.kind == "bestsellers"
            assert page.items and page.items[0]["rank"] == 1
            assert page.items[0]["asin"] == fields["first_asin"]
            assert page.price is None
            return
    pytest.fail("no bestsellers page among the fixtures")


def test_unknown_marketplace_is_a_validation_error_naming_it() -> None:
    with pytest.raises(errors.ValidationError) as info:
        amazcope.parse("<html></html>", marketplace="amazon.xx")
    assert info.value.field == "marketplace"
    assert info.value.value == "amazon.xx"
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, errors.AmazcopeError)


def test_parse_releases_the_gil(pages: Path) -> None:
    html = (pages / "com_dp_B07FNW9FGJ.html").read_text(encoding="utf-8")
    assert runs_while(lambda: amazcope.parse(html)), "another thread never ran during parse"
