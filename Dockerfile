# edge-tracker daemon image (multi-arch: linux/amd64, linux/arm64).
#
# Build:   docker buildx build --platform linux/amd64,linux/arm64 -t edge-tracker .
# Run with a camera (pass the device; the image user is in the video group):
#   docker run --rm --device /dev/video0 -v "$PWD/cam0.yaml:/config/config.yaml:ro" \
#     -v "$PWD/out:/data" -p 127.0.0.1:9108:9108 edge-tracker \
#     run --config /config/config.yaml --set http.bind=0.0.0.0
# (inside a container the metrics endpoint must bind 0.0.0.0 to be published; publish
#  it on the host's loopback as above.) Without a camera: docker run --rm edge-tracker demo
ARG PYTHON_VERSION=3.11

FROM python:${PYTHON_VERSION}-slim-bookworm AS build
WORKDIR /src
COPY setup.cfg pyproject.toml README.md ./
COPY edge_tracker ./edge_tracker
RUN python -m venv /opt/edge-tracker/venv \
    && /opt/edge-tracker/venv/bin/pip install --no-cache-dir ".[mqtt]"

FROM python:${PYTHON_VERSION}-slim-bookworm
# OpenCV headless needs libglib for its FFmpeg/V4L back-ends at run time.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libglib2.0-0=2.74.* \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --groups video --home-dir /data \
       --shell /usr/sbin/nologin edge-tracker \
    && install -d -o edge-tracker -g edge-tracker /data
COPY --from=build /opt/edge-tracker/venv /opt/edge-tracker/venv
COPY deploy/config.example.yaml /config/config.example.yaml
ENV PATH=/opt/edge-tracker/venv/bin:$PATH \
    PYTHONUNBUFFERED=1
USER 10001:10001
WORKDIR /data
EXPOSE 9108
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import sys,urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:9108/healthz', timeout=4).status == 200 else 1)"]
ENTRYPOINT ["edge-tracker"]
CMD ["demo", "--seconds", "0", "--http-port", "9108"]
