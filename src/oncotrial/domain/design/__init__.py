"""Trial design and simulation: exact phase II designs, survival sample sizes, group-sequential
boundaries and whole-trial simulation (see docs/design.md)."""
