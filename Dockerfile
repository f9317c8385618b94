# One image for every deployable: api, bot and actions differ only in their command.
FROM python:3.11-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    HOTLINE_DATA_DIR=/var/lib/hotline
RUN apt-get update && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home /var/lib/hotline hotline \
    && mkdir -p /var/lib/hotline && chown hotline /var/lib/hotline
WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot bot
COPY nlu nlu
COPY flows flows
COPY handoff handoff
COPY api api
COPY hotline hotline
COPY migrations migrations
RUN pip install .
USER hotline
# Train the NLU model at build time so containers start without training.
RUN hotline nlu train
EXPOSE 8000
CMD ["hotline", "api", "--host", "0.0.0.0", "--port", "8000"]
