# The stswatch image for users with Docker: docker build -t stswatch:local .
# The lab builds the same image without Docker (watcher/stswatch/lab/recorder_image.py): Debian
# bookworm's python3.11, the stswatch wheel and its dependencies from PyPI installed by the same
# pip command into /opt/stswatch/site-packages, user 65532, entrypoint deploy/image/stswatch.
# tests/unit/deploy/test_image.py compares the two.
FROM python:3.11-slim-bookworm AS install
WORKDIR /src
COPY pyproject.toml README.md ./
COPY watcher ./watcher
COPY reports ./reports
COPY migrations ./migrations
COPY controlplane ./controlplane
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheel . \
    && pip install --no-cache-dir --no-compile --target /opt/stswatch/site-packages \
       --only-binary=:all: /wheel/stswatch-*.whl

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
       python3.11-minimal libpython3.11-minimal libpython3.11-stdlib \
    && rm -rf /var/lib/apt/lists/* \
    && echo 'stswatch:x:65532:65532::/var/lib/stswatch:/sbin/nologin' >> /etc/passwd \
    && echo 'stswatch:x:65532:' >> /etc/group \
    && mkdir -p /var/lib/stswatch && chmod 777 /var/lib/stswatch
COPY --from=install /opt/stswatch/site-packages /opt/stswatch/site-packages
COPY --chmod=755 deploy/image/stswatch /usr/local/bin/stswatch
ENV PYTHONPATH=/opt/stswatch/site-packages \
    PYTHONDONTWRITEBYTECODE=1 \
    STSWATCH_DB=/var/lib/stswatch/stswatch.db \
    HOME=/var/lib/stswatch
USER 65532:65532
WORKDIR /var/lib/stswatch
VOLUME ["/var/lib/stswatch"]
ENTRYPOINT ["stswatch"]
CMD ["--help"]
