# syntax=docker/dockerfile:1
# Build: docker build -t gridapi .
# Migrate (a separate, one-off command):  docker run --rm -e DATABASE_URL=... gridapi gridapi migrate
# Serve:                                  docker run -p 8000:8000 -e DATABASE_URL=... gridapi
FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY pyproject.toml README.md ./
COPY app ./app
RUN pip install --no-cache-dir .

FROM python:3.11-slim AS runtime
RUN useradd --system --uid 10001 --home /srv gridapi
WORKDIR /srv
COPY --from=build /opt/venv /opt/venv
COPY alembic.ini ./
COPY migrations ./migrations
COPY app ./app
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    GRID_ENV=production
USER gridapi
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz').status==200 else 1)"
CMD ["gridapi", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
