# oncotrial web application: gunicorn workers over PostgreSQL (docs/deployment.md).
#
#   docker build -t oncotrial .
#   docker run --env-file /etc/oncotrial/env -p 127.0.0.1:8000:8000 oncotrial
#
# The image holds no data and no secret: the database is ONCOTRIAL_DATABASE_URL and the key
# ONCOTRIAL_SECRET_KEY, both from the environment. Migrate once per release with
#   docker run --rm --env-file /etc/oncotrial/env oncotrial oncotrial migrate
FROM python:3.11-slim-bookworm

# WeasyPrint (PDF reports) needs Pango; pg_dump / pg_restore serve `oncotrial backup` / `restore`
# (their major version must match the server's: pick the postgresql-client-NN package to suit).
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b \
       fonts-noto-cjk postgresql-client \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --system --home-dir /var/lib/oncotrial --create-home --uid 10001 oncotrial
WORKDIR /opt/oncotrial
COPY pyproject.toml README.md LICENSE ./
COPY src ./src
RUN pip install --no-cache-dir . && rm -rf /opt/oncotrial/src

USER oncotrial
ENV ONCOTRIAL_HOME=/var/lib/oncotrial \
    ONCOTRIAL_WORKERS=2 \
    ONCOTRIAL_THREADS=8 \
    PYTHONUNBUFFERED=1
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4).status != 200)"
CMD ["sh", "-c", "exec oncotrial serve --no-migrate --host 0.0.0.0 --port 8000 --workers \"$ONCOTRIAL_WORKERS\" --threads \"$ONCOTRIAL_THREADS\""]
