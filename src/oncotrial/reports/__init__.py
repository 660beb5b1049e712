"""Analysis results rendered as HTML and PDF documents."""
