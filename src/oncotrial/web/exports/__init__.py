"""Standard exports in the web app (issue 12): the service that checks the role, loads and derives
the study exactly as the analysis service does, writes the files and audits them; the download
page and its API twin."""
