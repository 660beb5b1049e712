"""Built-in protocols shipped as YAML."""
