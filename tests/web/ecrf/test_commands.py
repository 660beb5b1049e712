"""``oncotrial checks run`` and ``oncotrial ctcae load``."""

from openpyxl import Workbook

from oncotrial.cli import main
from oncotrial.web.ecrf import models as m
from oncotrial.web.ecrf.services.records import save_record

DOSE = {"drug": "sintilimab", "date": "2025-02-10", "action": "given", "dose": "200", "unit": "mg"}


def test_checks_run_opens_a_query_for_stored_data_and_closes_it_once_fixed(cast, subject_a, capsys):
    dose = save_record(cast.coordinator_a, subject_a, "dose_administration", DOSE)
    # data changed behind the forms (an import): 300 mg is 150 % of the protocol dose
    m.DoseAdministration.objects.filter(pk=dose.pk).update(dose=300, prescribed_dose=200)
    assert main(["checks", "run", "--study", cast.study.code]) == 0
    assert "1 automatic queries open" in capsys.readouterr().out
    assert m.Query.objects.get().check_id == "DA-14"
    m.DoseAdministration.objects.filter(pk=dose.pk).update(dose=200)
    assert main(["checks", "run"]) == 0
    assert "0 automatic queries open" in capsys.readouterr().out
    assert m.Query.objects.get().status == "closed"


def workbook(path, header, rows):
    book = Workbook()
    sheet = book.active
    sheet.title = "CTCAE v5.0 Clean Copy"
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


HEADER = ["MedDRA Code", "MedDRA SOC", "CTCAE Term", "Grade 1", "Grade 2", "Grade 3", "Grade 4",
          "Grade 5", "Definition", "Navigational Note", "CTCAE v5.0 Change"]


def test_ctcae_load_reads_the_nci_layout_without_meddra_codes(db, tmp_path, capsys):
    path = workbook(tmp_path / "ctcae.xlsx", HEADER, [
        [10000001, "Fictional disorders", "Made-up syndrome", "Mild thing", "Moderate thing",
         "Severe thing", "-", "-", "A fictional term.", "", ""],
        [10000002, "Gastrointestinal disorders", "Nausea", "Changed text", "x", "y", "-", "-", "", "", ""],
    ])
    assert main(["ctcae", "load", str(path)]) == 0
    assert "2 terms read, 1 added, 1 updated" in capsys.readouterr().out
    term = m.CtcaeTerm.objects.get(term="Made-up syndrome")
    assert (term.soc, term.source) == ("Fictional disorders", "workbook")
    assert term.grades == {"1": "Mild thing", "2": "Moderate thing", "3": "Severe thing", "4": None,
                           "5": None}
    assert "10000001" not in str(m.CtcaeTerm.objects.values_list())


def test_ctcae_load_names_the_missing_column(db, tmp_path, capsys):
    path = workbook(tmp_path / "bad.xlsx", HEADER[:4], [])
    assert main(["ctcae", "load", str(path)]) == 2
    assert "header row lacks Grade 2, Grade 3, Grade 4, Grade 5" in capsys.readouterr().err
    assert main(["ctcae", "load", str(tmp_path / "missing.xlsx")]) == 2


def test_the_bundled_terms_are_loaded_on_migrate(db):
    nausea = m.CtcaeTerm.objects.get(version="5.0", term="Nausea")
    assert nausea.soc == "Gastrointestinal disorders"
    assert [g for g, text in sorted(nausea.grades.items()) if text] == ["1", "2", "3"]
    assert m.CtcaeTerm.objects.filter(protocol_defined=True).count() == 1  # RCCEP


def test_checks_run_also_checks_lesion_rows(cast, subject_a, capsys):
    from tests.web.ecrf.conftest import enter_baseline

    baseline = enter_baseline(cast.coordinator_a, subject_a, sizes=(30, 20))
    baseline.lesions.filter(lesion_id="T2").update(size_mm=999)  # an import gone wrong
    assert main(["checks", "run"]) == 0
    query = m.Query.objects.get()
    assert (query.check_id, query.field) == ("LE-05:T2", "lesions.T2.size_mm")
    assert query.text.startswith("lesion T2: size_mm is 999 mm")
