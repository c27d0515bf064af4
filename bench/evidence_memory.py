"""`python bench/evidence_memory.py`: the memory making one photo's copies takes, beside the decoding budget.

For each format, the largest file the budget (EVIDENCE_DECODE_BUDGET_MB, portal/settings.py's default
unless set) accepts, in the mode that costs most per pixel: an interlaced 16-bit RGBA PNG, a lossless WebP,
a 4:4:4 HEIC, and a progressive 4:4:4 JPEG (libjpeg keeps all its coefficients whatever the scale it
decodes at). Then photos as phones make them: a 24 MP iPhone-size HEIC, a 12 MP PNG, a 64 MP baseline
JPEG (the most pixels taken) and a 15 MB JPEG (the largest file taken). Last, files over the budget, which
are refused from their header: the hostile tester's 8,000 × 8,000 WebP and PNG, and a 16 MP WebP.

Each file goes through reports.evidence.store_upload in a fresh Python process, twice: as the web worker
files it (copies=False: the header, the pixels and the memory decoding would take are checked, nothing is
decoded) and as the worker makes its copies, which reports its peak RSS
(VmHWM, Linux) above its own baseline: after the imports and a warm-up decode of a small file of the same
format. The pictures are flat or noise, built at run time; decoding costs the same whatever they show.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from PIL import Image  # noqa: E402

from reports import evidence, evidence_checks, evidence_copies  # noqa: E402
from tests import samples  # noqa: E402

MB = evidence_copies.MB


@dataclass(frozen=True)
class Sample:
    label: str
    name: str  # the file name it is uploaded under; its extension picks the warm-up file
    size: tuple[int, int]
    data: bytes


@dataclass(frozen=True)
class Measurement:
    peak_mb: float  # above the baseline
    baseline_mb: float
    outcome: str  # "accepted", or the message it was refused with


# --- The worst file of each format at a budget --------------------------------------------------------


def png_cost(side: int) -> int:
    return evidence_copies.pillow_bytes(evidence_checks.PNG, "RGBA", (side, side), in_place=False)


def webp_cost(side: int) -> int:
    return evidence_copies.pillow_bytes(evidence_checks.WEBP, "RGB", (side, side), in_place=True)


def heic_cost(side: int) -> int:
    return evidence_copies.heif_bytes((side, side), "RGB", chroma=444, bit_depth=8, has_alpha=False)


def jpeg_cost(side: int) -> int:
    frame = evidence_checks.JpegFrame(progressive=True, sampling=((1, 1),) * 3, first_scan_components=1)
    drafted = draft_size((side, side))
    coefficients = evidence_copies.coefficient_bytes((side, side), frame)
    return evidence_copies.pillow_bytes(
        evidence_checks.JPEG, "RGB", drafted, in_place=True, coefficients=coefficients
    )


def draft_size(size: tuple[int, int]) -> tuple[int, int]:
    # What Pillow's JpegImageFile.draft picks for the display copy: the smallest of 1/8..1/1 scale that
    # keeps it at least as large.
    requested = evidence_copies.fitted(size, evidence_copies.DISPLAY_EDGE)
    scale = next(s for s in (8, 4, 2, 1) if min(size[0] // requested[0], size[1] // requested[1]) >= s)
    return -(-size[0] // scale), -(-size[1] // scale)


def largest_side(cost: Callable[[int], int], budget_mb: int) -> int:
    # Costs are not monotonic (a JPEG's draft scale halves at 3,200 px), so every side is tried.
    most = int(settings.EVIDENCE_MAX_PIXELS**0.5)
    return max(side for side in range(64, most + 1, 8) if cost(side) <= budget_mb * MB)


def worst_files(budget_mb: int) -> list[Sample]:
    png, webp, heic, jpeg = (
        largest_side(cost, budget_mb) for cost in (png_cost, webp_cost, heic_cost, jpeg_cost)
    )
    return [
        Sample("PNG, 16-bit RGBA, interlaced", "worst.png", (png, png), png_at((png, png))),
        Sample("WebP, lossless", "worst.webp", (webp, webp), samples.flat_webp((webp, webp))),
        Sample("HEIC, 4:4:4", "worst.heic", (heic, heic), samples.flat_heic((heic, heic), chroma=444)),
        Sample("JPEG, progressive 4:4:4", "worst.jpg", (jpeg, jpeg), samples.flat_jpeg((jpeg, jpeg), True)),
    ]


def png_at(size: tuple[int, int]) -> bytes:
    return samples.blank_png(size, bit_depth=16, colour_type=6, interlaced=True)


def phone_files() -> list[Sample]:
    big = samples.big_jpeg_bytes(int(settings.EVIDENCE_MAX_BYTES * 0.97))
    big_size = Image.open(io.BytesIO(big)).size
    return [
        Sample("HEIC, 24 MP iPhone, 4:2:0", "iphone.heic", (5712, 4284), samples.flat_heic((5712, 4284))),
        Sample("PNG, 12 MP RGBA", "screen.png", (4000, 3000), samples.blank_png((4000, 3000))),
        Sample("JPEG, 64 MP baseline", "camera.jpg", (8000, 8000), samples.flat_jpeg((8000, 8000))),
        Sample("JPEG, 15 MB of noise", "noise.jpg", big_size, big),
    ]


def hostile_files() -> list[Sample]:
    # The tester's files (8,000 × 8,000 in a few KB), and a 16 MP WebP, over the budget at 16 bytes a pixel.
    return [
        Sample("WebP, lossless, tester's", "bomb.webp", (8000, 8000), samples.flat_webp((8000, 8000))),
        Sample("PNG, 16-bit RGBA, tester's", "bomb.png", (8000, 8000), png_at((8000, 8000))),
        Sample("WebP, 16 MP photo", "phone.webp", (4608, 3456), samples.flat_webp((4608, 3456))),
    ]


# --- Measuring in a fresh process --------------------------------------------------------------------

WARM_UPS = {
    ".png": samples.png_bytes,
    ".webp": samples.webp_bytes,
    ".heic": samples.heic_bytes,
    ".jpg": lambda: samples.jpeg_bytes(gps=False),
}


def measure(sample: Sample, budget_mb: int, work: Path, *, copies: bool) -> Measurement:
    path, warm_up = work / sample.name, work / f"warm-up{Path(sample.name).suffix.lower()}"
    path.write_bytes(sample.data)
    warm_up.write_bytes(WARM_UPS[warm_up.suffix]())
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        EVIDENCE_DECODE_BUDGET_MB=str(budget_mb),
        EVIDENCE_STORAGE="local",
        EVIDENCE_ROOT=str(work / "evidence"),
        VAR_DIR=str(work / "var"),
    )
    child = [sys.executable, str(Path(__file__).resolve()), "--child", str(path), str(warm_up), str(copies)]
    result = subprocess.run(child, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300, check=True)
    return Measurement(**json.loads(result.stdout.strip().splitlines()[-1]))


def child(path: str, warm_up: str, copies: str) -> None:
    from django.core.files.uploadedfile import UploadedFile

    class OnDisk(UploadedFile):
        """An upload that already sits in a temporary file, as Django streams large ones."""

        def temporary_file_path(self) -> str:
            return self.file.name

    def store(file_path: str) -> str:
        with open(file_path, "rb") as fp:
            try:
                upload = OnDisk(fp, Path(file_path).name, size=os.path.getsize(file_path))
                evidence.store_upload(upload, copies=copies == "True")
            except evidence_checks.EvidenceRejected as refused:
                return refused.message
        return "accepted"

    store(warm_up)
    baseline = peak_rss()
    outcome = store(path)
    print(json.dumps({"peak_mb": peak_rss() - baseline, "baseline_mb": baseline, "outcome": outcome}))


def peak_rss() -> float:
    """The process's peak RSS in MiB. Not ru_maxrss: Linux carries that over from the parent through fork
    and exec, so a child of a 300 MB pytest starts at 300 MB and any peak below it goes unseen."""
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024  # kB


def main() -> None:
    budget = settings.EVIDENCE_DECODE_BUDGET_MB
    print(f"Decoding budget: {budget} MiB (EVIDENCE_DECODE_BUDGET_MB)\n")
    print(
        "Peak RSS above baseline: the web worker filing it (checks only; the copies are the worker's), "
        "and making its copies (the Celery worker, or the web worker for a preview).\n"
    )
    print("| file | pixels | file size | filing (web) | copies (worker) | budget | outcome |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="bench-evidence-") as work:
        for sample in worst_files(budget) + phone_files() + hostile_files():
            filing = measure(sample, budget, Path(work), copies=False)
            result = measure(sample, budget, Path(work), copies=True)
            width, height = sample.size
            print(
                f"| {sample.label} | {width}×{height} ({width * height / 1e6:.1f} MP) "
                f"| {file_size(len(sample.data))} | {filing.peak_mb:.0f} MiB | {result.peak_mb:.0f} MiB "
                f"| {budget} MiB | {'accepted' if result.outcome == 'accepted' else 'refused'} |",
                flush=True,
            )


def file_size(size: int) -> str:
    return f"{size:,} B" if size < 10_240 else f"{size / 1024:,.0f} KiB"


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(*sys.argv[2:5])
    else:
        main()
