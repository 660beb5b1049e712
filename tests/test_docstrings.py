"""Every public function and class of the domain layer has a docstring (style.md: the rule and its
source), and every example in a domain docstring runs."""

from __future__ import annotations

import doctest
import importlib
import inspect
import pkgutil

import pytest

import oncotrial.domain

MODULES = sorted(info.name for info in pkgutil.walk_packages(oncotrial.domain.__path__, "oncotrial.domain."))


def public_members(module):
    for name, member in vars(module).items():
        if name.startswith("_") or getattr(member, "__module__", None) != module.__name__:
            continue
        if inspect.isfunction(member) or inspect.isclass(member):
            yield name, member


@pytest.mark.parametrize("module_name", MODULES)
def test_every_public_function_and_class_has_a_docstring(module_name):
    module = importlib.import_module(module_name)
    missing = [name for name, member in public_members(module) if not inspect.getdoc(member)
               or inspect.getdoc(member) == inspect.getdoc(type(member))]
    assert not missing, f"{module_name}: no docstring on {', '.join(missing)}"


@pytest.mark.parametrize("module_name", MODULES)
def test_the_examples_in_docstrings_run(module_name):
    module = importlib.import_module(module_name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{module_name}: {result.failed} of {result.attempted} examples failed"
