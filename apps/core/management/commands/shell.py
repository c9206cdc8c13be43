"""``manage.py shell`` without the warning that 15 historical models "could not be automatically imported".

Django 5.2's shell imports every model by ``model.__module__`` and its name; django-simple-history's historical
models are built at run time and cannot be imported that way, so every shell opened with that warning. They stay
reachable as ``Event.history.model`` and so on.
"""

import sys

from django.core.management.commands.shell import Command as DjangoShell


class Command(DjangoShell):
    def get_auto_imports(self):
        return [path for path in super().get_auto_imports() if _importable(path)]


def _importable(path: str) -> bool:
    module, _, name = path.rpartition(".")
    __import__(module)
    return hasattr(sys.modules[module], name)
