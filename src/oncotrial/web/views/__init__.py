"""Pages: parse input, call a service, render. No writes happen here."""
