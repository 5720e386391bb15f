# imapgate container image (DESIGN §12). Two stages on Debian 12 (bookworm), the release the
# project is developed and tested on; both install their packages with scripts/install-deps.sh
# so the package lists live in one place.
#
#   docker build -t imapgate .
#   docker run -d --name imapgate --read-only --tmpfs /tmp -p 127.0.0.1:8080:8080 \
#     -v imapgate-data:/data -e IMAPGATE_SERVER_PUBLIC_URL=https://mail-mcp.example.com/mcp imapgate
#
# The container binds 0.0.0.0:8080 (an explicit non-loopback bind) and speaks plain HTTP:
# put a TLS-terminating reverse proxy in front and set public_url (and, when needed,
# allowed_hosts / allowed_origins). See docs/deployment.md.
# For reproducible builds, pin the base images by digest (debian:12@sha256:…).

# ---- build -------------------------------------------------------------------------------
FROM debian:12 AS build

# Dependencies first, so this layer is reused while only the sources change.
COPY scripts/install-deps.sh /src/scripts/install-deps.sh
RUN bash /src/scripts/install-deps.sh --build

COPY . /src
WORKDIR /src
# Production binary only: the test build (imapgate-test, conformance fixture tools) and the
# unit tests are not built, so the image cannot contain them.
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DIG_TESTS=OFF \
 && cmake --build build -j"$(nproc)" --target imapgate

# ---- runtime -----------------------------------------------------------------------------
FROM debian:12-slim AS runtime

# Runtime libraries (libpsl5 with the publicsuffix list among them, and curl for the
# HEALTHCHECK) from the same script; apt lists removed.
COPY scripts/install-deps.sh /tmp/install-deps.sh
RUN bash /tmp/install-deps.sh --runtime \
 && rm -rf /var/lib/apt/lists/* /tmp/install-deps.sh

# Fixed ids so that bind-mounted data directories and Kubernetes runAsUser can match them.
# /data holds state.db (tokens, hashed) and, in later releases, cache.db and the audit log.
RUN groupadd --gid 10001 imapgate \
 && useradd --uid 10001 --gid 10001 --no-log-init --no-create-home \
	--home-dir /nonexistent --shell /usr/sbin/nologin imapgate \
 && install -d -o 10001 -g 10001 -m 0700 /data \
 && install -d -o root -g root -m 0755 /etc/imapgate

# Root-owned and read-only for the service user. The check fails the build when the runtime
# package list misses a library the binary links against.
COPY --from=build /src/build/imapgate /usr/local/bin/imapgate
RUN ! ldd /usr/local/bin/imapgate | grep -F 'not found' \
 && /usr/local/bin/imapgate --version

LABEL org.opencontainers.image.title="imapgate" \
      org.opencontainers.image.description="Security-first remote MCP gateway to IMAP mail"

# Configuration: mount a file at /etc/imapgate/imapgate.conf (the default path; when it is
# absent, defaults plus IMAPGATE_* variables apply) or set IMAPGATE_<SECTION>_<KEY> variables.
# Secrets only through *_file (e.g. /run/secrets/…) or *_env keys, never inline.
# Nothing is written outside /data and /tmp, so the image runs with --read-only --tmpfs /tmp.
ENV IMAPGATE_SERVER_DATA_DIR=/data \
    IMAPGATE_SERVER_LISTEN=0.0.0.0:8080 \
    TMPDIR=/tmp

VOLUME ["/data"]
WORKDIR /data
EXPOSE 8080
USER 10001:10001

# Liveness only. Assumes the listen port above; change both together.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["curl", "-q", "-fsS", "--noproxy", "*", "--max-time", "3", "-o", "/dev/null", \
       "http://127.0.0.1:8080/healthz"]

# SIGTERM: stop accepting, drain in-flight requests within the shutdown deadline, exit 0.
# Give `docker stop` a longer grace period (-t / stop_grace_period) than that deadline.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/imapgate"]
CMD ["serve"]
