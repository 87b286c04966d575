# SPDX-License-Identifier: GPL-3.0-or-later
# The csenet API and CLI for the Neo4j deployment (docker-compose.yml).
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY . .
RUN pip install .

FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    CSENET_DATA=/var/lib/csenet
# Pango and a font for the problem profile's PDF (WeasyPrint; docs/report.md).
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
# Group 0 owns the data directory so a one-off run under the host user's uid can write it.
RUN useradd --system --uid 10001 --gid 0 --home-dir /var/lib/csenet --no-create-home csenet \
    && mkdir -p /var/lib/csenet /bundles \
    && chown 10001:0 /var/lib/csenet \
    && chmod 2775 /var/lib/csenet
COPY --from=build /opt/venv /opt/venv
USER 10001:0
WORKDIR /var/lib/csenet
EXPOSE 8000
CMD ["csenet", "serve", "--host", "0.0.0.0", "--port", "8000"]
