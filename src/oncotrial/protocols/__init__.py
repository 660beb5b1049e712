"""Built-in protocols shipped with oncotrial as YAML files beside this module.

Reading them is I/O, so it lives here and not in ``oncotrial.domain``.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from oncotrial.domain.protocol.model import Protocol, load_protocol
from oncotrial.errors import NotFound


def builtin_protocol_ids() -> list[str]:
    """Ids of the protocols that ship with oncotrial, sorted."""
    folder = resources.files(__name__)
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))


def builtin_protocol_text(protocol_id: str) -> str:
    """The YAML text of a built-in protocol."""
    if protocol_id not in builtin_protocol_ids():
        known = ", ".join(builtin_protocol_ids())
        raise NotFound(f"no built-in protocol '{protocol_id}'; built-in: {known}",
                       hint="`oncotrial protocols list` shows them", field="protocol")
    return resources.files(__name__).joinpath(f"{protocol_id}.yaml").read_text(encoding="utf-8")


@cache
def load_builtin_protocol(protocol_id: str) -> Protocol:
    """Load and validate a built-in protocol by id (cached: protocols are immutable)."""
    return load_protocol(builtin_protocol_text(protocol_id), source=f"{protocol_id}.yaml")
