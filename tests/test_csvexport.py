"""CSV exports: spreadsheet formulas are neutralised, plain numbers are kept as numbers."""

import pytest

from despacho.csvexport import csv_rows, neutralize


@pytest.mark.parametrize(
    "cell", ["=1+1", "+52 55 1234 5678", "-1+1", "@SUM(A1:A2)", "\tcmd", "-58.00\n", "=HYPERLINK()"]
)
def test_cells_a_spreadsheet_would_evaluate_are_written_as_text(cell):
    assert neutralize(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["-58.00", "-3", "1000.00", "EKU9003173C9", "", None])
def test_plain_values_and_negative_amounts_are_kept(cell):
    assert neutralize(cell) == ("" if cell is None else cell)


def test_the_file_starts_with_a_bom_so_excel_reads_accents():
    lines = list(csv_rows(["Razón social"], [["PÉREZ"]]))
    assert lines[0].startswith("\ufeffRazón social")
    assert lines[1].strip() == "PÉREZ"
