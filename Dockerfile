# One image for every Tandem service; compose picks the command (see infra/compose.yaml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    TANDEM_DATA_DIR=/var/lib/tandem

WORKDIR /app

# Dependencies first, so a code change does not reinstall them.
COPY pyproject.toml README.md ./
COPY schemas/__init__.py schemas/
COPY services/__init__.py services/
COPY infra/__init__.py infra/
COPY dashboards/__init__.py dashboards/
RUN pip install .

COPY schemas schemas
COPY services services
COPY infra infra
COPY dashboards dashboards
RUN pip install --no-deps . \
    && useradd --system --home-dir /var/lib/tandem --create-home tandem

USER tandem
EXPOSE 8080
CMD ["python", "-m", "services.gateway", "--host", "0.0.0.0", "--port", "8080"]
