# stswatch recorder image. Build: docker build -t stswatch .
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY watcher ./watcher
COPY reports ./reports
COPY migrations ./migrations
COPY controlplane ./controlplane
RUN pip install --no-cache-dir . && useradd --uid 10001 --create-home stswatch \
    && mkdir /data && chown stswatch /data
USER 10001
VOLUME ["/data"]
ENV STSWATCH_DB=/data/stswatch.db
ENTRYPOINT ["stswatch"]
CMD ["--help"]
