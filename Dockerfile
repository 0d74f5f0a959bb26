# syntax=docker/dockerfile:1
# Build:   docker build -t gridapi .
# Migrate: docker run --rm -e DATABASE_URL=postgresql+asyncpg://… gridapi gridapi migrate
#          (a one-off job: it needs only the database, no keys, also in production)
# Serve:   docker run -p 8000:8000 -v gridapi-data:/srv/data -e DATABASE_URL=… -e REDIS_URL=… \
#            -e GRID_JWT_KEYS=… -e GRID_DATA_KEYS=… -e GRID_BLIND_INDEX_KEY=… \
#            -e GRID_METRICS_TOKEN=… gridapi
# No engine on the development machines: scripts/container_check.py runs this file's steps on
# the host (a fresh venv, a root-owned /srv, the numeric user) and CI runs it with hadolint.

FROM python:3.11-slim AS build
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# The dependencies alone first, in their own layer: rebuilt only when pyproject.toml changes.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > requirements.txt \
 && pip install --no-cache-dir -r requirements.txt
# Then the application, installed as a package (not editable): the runtime keeps no source tree.
COPY README.md ./
COPY app ./app
RUN pip install --no-cache-dir --no-deps .

FROM python:3.11-slim AS runtime
# A numeric user (Kubernetes' runAsNonRoot can check it) owning only the data volume.
RUN groupadd --system --gid 10001 gridapi \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin gridapi \
 && mkdir -p /srv/data/uploads \
 && chown -R 10001:10001 /srv/data
COPY --from=build /opt/venv /opt/venv
# /srv is root's: the service reads the migrations there and writes only under /srv/data.
WORKDIR /srv
COPY alembic.ini ./
COPY migrations ./migrations
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    GRID_ENV=production \
    GRID_HOST=0.0.0.0 \
    GRID_PORT=8000 \
    GRID_WORKERS=2 \
    GRID_UPLOAD_DIR=/srv/data/uploads
# Uploads (and the SQLite file, when no DATABASE_URL is given) outlive the container.
VOLUME ["/srv/data"]
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 CMD ["gridapi-healthcheck"]
CMD ["gridapi", "serve"]
