# syntax=docker/dockerfile:1
# docker build --build-arg VERSION=$(git describe --tags --always) -t nfmm .
# docker run --rm --env-file nfmm.env -p 127.0.0.1:9090:9090 -e NFMM_HTTP_ADDR=0.0.0.0:9090 nfmm

FROM golang:1.26 AS build
WORKDIR /src
# Modules first: this layer is cached until go.mod/go.sum change.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
# Static binary (no libc in the final image); -trimpath keeps build paths out of it.
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/nfmm .

# distroless/static ships CA certificates (for Slack and publicly signed bridges), tzdata and
# a nonroot user (65532), and no shell.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/nfmm /nfmm
USER nonroot:nonroot
EXPOSE 9090
ENTRYPOINT ["/nfmm"]
CMD ["run"]
