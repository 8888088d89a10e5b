# crm-gateway container image (PRODUCT.md §10).
#
#   docker build -t crm-gateway .
#   docker run --rm -p 8080:8080 crm-gateway serve --sandbox --host 0.0.0.0 --port 8080 --allow-unauthenticated
#
# Configuration: a YAML file mounted at /etc/crm-gateway/config.yaml and named by
# CRMGW_CONFIG (or `serve --config FILE`), CRMGW_<SECTION>_<KEY> environment variables over it,
# secrets as files under /run/secrets/ named by `*_file` keys. The flags in CMD win over both.
# Listening on 0.0.0.0 needs client API keys (`clients:` in the config) or an explicit
# --allow-unauthenticated / CRMGW_SERVER_ALLOW_UNAUTHENTICATED=true. See README.md "Container".

# ---- build: the official Swift image; static Swift runtime and Foundation --------------------
FROM swift:6.3.1-bookworm AS build
SHELL ["/bin/bash", "-o", "pipefail", "-c"]

# The C libraries the package links (scripts/bootstrap.sh installs the same on a host).
# Versions are not pinned: Debian stable replaces a version on its mirror with every security
# update, so a pin stops building within weeks; the base image tag is the pin.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libcurl4-openssl-dev libssl-dev libsqlite3-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
# Dependencies first, in their own layer: it is rebuilt only when Package.swift changes.
COPY Package.swift ./
RUN swift package resolve

# SwiftPM checks every target's folder, the test targets' too, before building one product.
COPY Sources ./Sources
COPY Tests ./Tests
# --static-swift-stdlib links the Swift runtime, Dispatch and Foundation (which GRDB imports)
# into the binary; the build fails here if the binary still needs any of their shared libraries.
RUN swift build -c release --product crm-gateway --static-swift-stdlib \
    && install -D -m 0755 "$(swift build -c release --show-bin-path)/crm-gateway" /out/crm-gateway \
    && strip --strip-debug /out/crm-gateway \
    && ldd /out/crm-gateway \
    && if ldd /out/crm-gateway | grep -E 'libswift|libFoundation|lib_Foundation|libdispatch|libBlocksRuntime'; then \
        echo "crm-gateway still links the Swift runtime dynamically" >&2; exit 1; \
    fi \
    && /out/crm-gateway --version

# ---- runtime: Debian slim, only what `ldd crm-gateway` asks for -----------------------------
FROM debian:bookworm-slim

LABEL org.opencontainers.image.title="crm-gateway" \
      org.opencontainers.image.description="One REST API in front of HotProfile, Pipedrive, Text Request and Hana" \
      org.opencontainers.image.base.name="docker.io/library/debian:bookworm-slim"

# libcurl4 (upstream transport, with libssl3 for TLS and the digests), libsqlite3-0 (webhook
# inbox), ca-certificates (upstream TLS); curl for the HEALTHCHECK: libcurl is here anyway, so the
# command-line tool adds about 0.5 MB, less than any probe binary we could ship instead.
# Not pinned, for the reason given in the build stage.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        ca-certificates curl libcurl4 libsqlite3-0 libssl3 \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid 10001 crmgw \
    && useradd --uid 10001 --gid crmgw --no-create-home --no-log-init \
        --home-dir /var/lib/crm-gateway --shell /usr/sbin/nologin crmgw \
    && install -d -o crmgw -g crmgw -m 0750 /var/lib/crm-gateway \
    && install -d -m 0755 /etc/crm-gateway

COPY --from=build /out/crm-gateway /usr/local/bin/crm-gateway

# A fixed uid/gid so mounted volumes and secrets can be owned or granted (e.g. chown 10001).
USER 10001:10001
WORKDIR /var/lib/crm-gateway
EXPOSE 8080

# /healthz answers 200 while the process serves; -f turns any other status into a failure.
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8080/healthz"]

# SIGTERM (the default stop signal) drains in-flight requests and exits 0.
ENTRYPOINT ["crm-gateway"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8080", "--events-db", "/var/lib/crm-gateway/events.sqlite"]
