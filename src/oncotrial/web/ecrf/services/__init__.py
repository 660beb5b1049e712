"""The only code that writes eCRF data: each public function checks permission, validates, writes
and appends the audit record in one transaction."""
