"""tests/reference is a copy of ../shared/reference and ../shared/seeds (the independent truth: R
survival, cmprsk, rpact and clinfun outputs, and the two registry records), kept in the repository so
the reference tests run on any clone. When the shared tree sits beside the checkout, the copy must
still equal it."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
COPY = ROOT / "tests" / "reference"
SHARED = ROOT.parent / "shared"
PAIRS = [(SHARED / "reference", COPY), (SHARED / "seeds", COPY / "seeds")]


def files(folder: Path, skip: Path | None = None) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*")
            if p.is_file() and (skip is None or skip not in p.parents)}


def test_the_copy_holds_every_reference_the_tests_read():
    for name in ("survival/lung.json", "survival/mgus2_cr.json", "rates/response_rates.json",
                 "design/simon.json", "design/rpact_sample_size.json"):
        assert (COPY / name).is_file(), name
    assert len(list((COPY / "seeds").glob("*.txt"))) == 2


@pytest.mark.skipif(not SHARED.is_dir(), reason="no ../shared beside this checkout to compare with")
@pytest.mark.parametrize("shared, copy", PAIRS, ids=["reference", "seeds"])
def test_the_copy_equals_the_shared_tree(shared, copy):
    skip = COPY / "seeds" if copy == COPY else None
    assert files(shared) == files(copy, skip), f"tests/reference differs from {shared}; copy it again"
