"""The only code that writes.

Each public service function runs in one transaction, checks permission (``require_role``),
validates, writes and appends its audit record (``record_audit``) before the transaction commits, so
a failed write leaves nothing half-saved and no change escapes the audit trail.
"""
