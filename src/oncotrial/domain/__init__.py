"""Pure clinical and statistical core: no Django, no I/O, no clock, no global state."""
