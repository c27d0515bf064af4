"""Decoding within the memory budget: the worst file of each format at the budget's edge is decoded in a
fresh process whose peak RSS is measured; a file just over it is refused before a pixel is decoded."""

from __future__ import annotations

from pathlib import Path

import pillow_heif
import pytest
from PIL import ImageFile

from bench import evidence_memory as bench
from reports.evidence import store_upload
from reports.evidence_checks import EvidenceRejected
from tests import samples

# The budget bounds what the copies take; the process around them (Python's and the libraries' own
# allocations while decoding) may add a little.
CEILING = 1.1
SMALL_BUDGET = 96  # the least the setting takes: smaller files, quicker tests

FORMATS = {  # the costliest mode of each format: what a pixel costs, and a file of that size
    "png": (bench.png_cost, bench.png_at, "scan.png"),
    "webp": (bench.webp_cost, samples.flat_webp, "photo.webp"),
    "heic": (bench.heic_cost, lambda size: samples.flat_heic(size, chroma=444), "IMG_0042.HEIC"),
    "jpeg": (bench.jpeg_cost, lambda size: samples.flat_jpeg(size, progressive=True), "photo.jpg"),
}


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="peak RSS is read from /proc (Linux)")
@pytest.mark.parametrize("kind", FORMATS)
def test_it_decodes_the_worst_file_of_each_format_within_the_budget(settings, tmp_path, kind):
    cost, make, name = FORMATS[kind]
    budget = settings.EVIDENCE_DECODE_BUDGET_MB
    side = bench.largest_side(cost, budget)
    sample = bench.Sample(kind, name, (side, side), make((side, side)))

    measured = bench.measure(sample, budget, tmp_path, copies=True)

    assert measured.outcome == "accepted"
    assert measured.peak_mb <= budget * CEILING, f"{kind} {side}×{side}: {measured.peak_mb:.0f} MiB"
    assert measured.peak_mb > budget / 2  # it really decoded, at the edge


@pytest.fixture
def no_decoding(monkeypatch):
    def decoded(*args, **kwargs):
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", decoded)
    monkeypatch.setattr(pillow_heif.HeifFile, "data", property(decoded))


@pytest.mark.parametrize("kind", FORMATS)
def test_it_refuses_a_file_just_over_the_budget_without_decoding(settings, evidence_dir, no_decoding, kind):
    settings.EVIDENCE_DECODE_BUDGET_MB = SMALL_BUDGET
    cost, make, name = FORMATS[kind]
    side = bench.largest_side(cost, SMALL_BUDGET) + 8  # the next size tried, the first one over the budget

    with pytest.raises(EvidenceRejected) as refused:
        store_upload(samples.upload(name, make((side, side))))

    assert refused.value.message.startswith(f"“{name}” has more pixels than we can process (at most ")
    assert list(evidence_dir.rglob("*.*")) == []


@pytest.mark.parametrize("kind", FORMATS)
def test_filing_without_the_copies_decodes_nothing_even_at_the_budgets_edge(
    settings, evidence_dir, no_decoding, kind
):
    cost, make, name = FORMATS[kind]
    side = bench.largest_side(cost, SMALL_BUDGET)
    settings.EVIDENCE_DECODE_BUDGET_MB = SMALL_BUDGET

    stored = store_upload(samples.upload(name, make((side, side))), copies=False)

    assert (stored.width, stored.height) == (side, side) and not stored.derived and not stored.thumbnail
    assert [path.parent.name for path in evidence_dir.rglob("*.*")] == [stored.original.split("/")[-2]]


@pytest.mark.parametrize(
    ("name", "make"),
    [
        # What the hostile tester sent: a few KB of WebP or PNG that declare 8,000 × 8,000 pixels.
        ("bomb.webp", samples.bomb_webp),
        ("bomb.png", lambda: samples.bomb_png((8000, 8000), colour_type=6)),
    ],
)
def test_it_refuses_small_files_that_declare_huge_pictures(evidence_dir, no_decoding, name, make):
    with pytest.raises(EvidenceRejected, match="more pixels than we can process"):
        store_upload(samples.upload(name, make()))


def test_it_budgets_a_jpeg_at_the_scale_it_is_decoded_at(settings, evidence_dir):
    # A baseline JPEG is decoded at half scale here, whatever its size; a progressive one of the same size
    # makes libjpeg keep every coefficient of the whole picture (six bytes a pixel at 4:4:4): 154 MiB.
    settings.EVIDENCE_DECODE_BUDGET_MB = 128
    size = (6000, 4500)

    stored = store_upload(samples.upload("camera.jpg", samples.flat_jpeg(size)))
    with pytest.raises(EvidenceRejected, match="more pixels than we can process"):
        store_upload(samples.upload("web.jpg", samples.flat_jpeg(size, progressive=True)))

    assert (stored.width, stored.height) == size


@pytest.fixture
def evidence_dir(private_evidence_storage) -> Path:
    return private_evidence_storage
