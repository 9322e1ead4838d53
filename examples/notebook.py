# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Amazcope from a notebook
# Parse saved Amazon pages, import them into PostgreSQL, read the alerts and plot a price
# history. Runs as a script too: `python examples/notebook.py` (uses `DATABASE_URL`, else the
# private cluster of the command line; writes `price_history.png` in the current folder).
# Needs the amazcope wheel, pandas and matplotlib.

# %%
import datetime as dt
import os
import re
import tempfile
import uuid
from decimal import Decimal
from pathlib import Path

import amazcope

ROOT = Path(__file__).resolve().parents[1] if "__file__" in globals() else Path.cwd()
PAGES = Path(os.environ.get("AMAZCOPE_FIXTURES") or ROOT.parent / "shared" / "fixtures" / "pages")
assert PAGES.is_dir(), f"saved pages not found at {PAGES} (set AMAZCOPE_FIXTURES)"

# %% [markdown]
# ## Parse every saved page (no database)

# %%
pages = {p.name: amazcope.parse(p.read_bytes()) for p in sorted(PAGES.glob("*.html"))}
by_kind: dict[str, int] = {}
for page in pages.values():
    by_kind[page.kind] = by_kind.get(page.kind, 0) + 1
print(by_kind)
products = {name: p for name, p in pages.items() if p.kind == "product" and p.price is not None}
for name, p in list(products.items())[:5]:
    print(f"{p.asin} {p.marketplace:6} {p.price} {p.currency} {p.rating} {(p.title or '')[:50]}")

# %% [markdown]
# ## Track a product, import a week of its pages, read the alerts
# The saved pages are one day each; to see a history, the notebook writes copies of one page
# with the price moved, one per day.

# %%
client = amazcope.connect()
user = f"analyst_{uuid.uuid4().hex[:6]}"
client.add_user(user)
name, page = next((n, p) for n, p in products.items() if p.marketplace == "com")
client.track(user, page.asin, page.marketplace, price_threshold=5.0)

html = (PAGES / name).read_text(encoding="utf-8")
base = page.price
assert base is not None
start = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) - dt.timedelta(days=7)
workdir = Path(tempfile.mkdtemp(prefix="amazcope-notebook-"))
for day, factor in enumerate(["1.00", "1.00", "0.97", "0.90", "0.90", "1.05", "0.85"]):
    price = (base * Decimal(factor)).quantize(Decimal("0.01"))
    copy = workdir / f"day{day}_{name}"
    copy.write_text(re.sub(re.escape(f"{base:.2f}"), f"{price:.2f}", html), encoding="utf-8")
    report = client.import_pages([copy], user, scraped_at=start + dt.timedelta(days=day))
    print(day, price, report["snapshots"], "snapshot,", report["alerts"], "alerts")

# %%
alerts = client.alerts(user).to_pandas()
print(alerts[["created_at", "alert_type", "severity", "title"]].to_string())

# %% [markdown]
# ## Price history as a DataFrame, plotted

# %%
history = client.history(page.asin, page.marketplace, days=30, user=user).to_pandas()
print(history[["scraped_at", "price", "bsr", "rating"]].tail())

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

fig, ax = plt.subplots(figsize=(8, 3))
ax.step(history["scraped_at"], history["price"].astype(float), where="post")
ax.set_title(f"{page.asin} on amazon.{page.marketplace}")
ax.set_ylabel(page.currency or "price")
fig.autofmt_xdate()
out = Path.cwd() / "price_history.png"
fig.savefig(out, dpi=100, bbox_inches="tight")
print("wrote", out)

# %% [markdown]
# ## Window statistics, a backtest of the thresholds, trends and suggestions

# %%
print(client.stats(page.asin, page.marketplace, user=user).to_pandas()[
    ["days", "snapshot_count", "min_price", "max_price", "avg_price", "out_of_stock_share"]
].to_string())
# The alerts these thresholds raise over the stored history, replayed (nothing is written).
print(client.replay(page.asin, page.marketplace, user=user).to_pandas()[
    ["created_at", "alert_type", "change_percentage"]
].to_string())
daily = client.trends(page.asin, page.marketplace, fields=["price", "rating"], granularity="day", user=user)
print(daily["price"].to_pandas()[["label", "min", "max", "mean"]].to_string())
run = client.suggest(user)
print(run["created"].to_pandas()[["priority", "category", "title"]].to_string())
