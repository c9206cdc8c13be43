"""``manage.py shell`` opens with the dataset's models imported and no warning about historical models."""

from django.core.management import call_command


def test_the_shell_imports_the_models_without_a_warning(capsys, db):
    call_command("shell", command="print(Event.__name__, Event.history.model.__name__)", verbosity=1)
    out, err = capsys.readouterr()
    assert "Event HistoricalEvent" in out
    assert "could not be automatically imported" not in out + err
    assert "objects imported automatically" in out + err
