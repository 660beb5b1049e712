"""eCRFs and data management: tumour assessments with live RECIST, treatment, local therapy, adverse
events and outcomes; edit checks, self-closing queries, source data verification, e-signatures and
locks (issue 7). Rules live in ``oncotrial.domain``; every write goes through ``services``."""
