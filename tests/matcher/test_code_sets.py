"""matcher.tables.CodeSets: which codes each row holds, read back as they were linked."""

import random

import numpy as np
import pytest

from matcher.tables import CodeSets


@pytest.mark.parametrize("code_count", [1, 8, 9, 16, 17, 32, 33, 64, 65, 130])
def test_each_row_reads_back_its_codes_sorted_at_every_width(code_count):
    """From one bit to several 64-bit words a row, and in either byte order."""
    rng = random.Random(code_count)
    codes = rng.sample(range(10_000), code_count)
    links = [(row, code) for row in range(200) for code in codes if rng.random() < 0.3]
    sets = CodeSets.from_pairs(
        200, np.array([row for row, _ in links], dtype=np.int64), [code for _, code in links]
    )
    swapped = CodeSets(sets.codes, sets.bits.astype(sets.bits.dtype.newbyteorder(">")))
    for row in range(200):
        linked = sorted(code for linked_row, code in links if linked_row == row)
        assert sets.row_codes(row) == linked
        assert swapped.row_codes(row) == linked
