# syntax=docker/dockerfile:1
# docker build --build-arg VERSION=$(git describe --tags --always) --build-arg COMMIT=$(git rev-parse HEAD) \
#   --build-arg CREATED=$(date -u +%Y-%m-%dT%H:%M:%SZ) -t nfmm .
# Publishing to your own registry and pinning by digest: docs/deployment.md#the-container-image
# docker run --rm --env-file nfmm.env -p 127.0.0.1:9090:9090 -e NFMM_HTTP_ADDR=0.0.0.0:9090 nfmm

FROM golang:1.26 AS build
WORKDIR /src
# Modules first: this layer is cached until go.mod/go.sum change.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=
# Static binary (no libc in the final image); -trimpath keeps build paths out of it. .git is not
# in the build context (.dockerignore), so the commit comes in as a build argument.
RUN CGO_ENABLED=0 go build -trimpath \
    -ldflags "-s -w -X main.version=${VERSION} -X github.com/nfmm/nfmm/app.buildCommit=${COMMIT}" -o /out/nfmm .

# distroless/static ships CA certificates (for Slack and publicly signed bridges), tzdata and
# a nonroot user (65532), and no shell.
FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION=dev
ARG COMMIT=
ARG CREATED=
# OCI image annotations: what `docker inspect` and registries show.
LABEL org.opencontainers.image.title="nfmm" \
      org.opencontainers.image.description="No-frills Meeting Manager: Cisco Meeting Server from Slack" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${COMMIT}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="https://github.com/nfmm/nfmm"
COPY --from=build /out/nfmm /nfmm
USER nonroot:nonroot
EXPOSE 9090
ENTRYPOINT ["/nfmm"]
CMD ["run"]
