"""Sub-commands of the ``oncotrial`` command line, one module per area."""
